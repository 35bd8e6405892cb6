"""Invitations (placeholder: the administration work replaces it).

Contract used by registration and login:
- prefill_from_request(args) -> dict | None: initial registration data from an
  invitation token in the query string (keys: email, civility, given_name, family_name,
  email_locked: bool, invitation_token, service_name).
- landing_url_after_confirmation(account, invitation_token) -> str | None: where to send
  the person once their account is confirmed (the invited service), or None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def prefill_from_request(args: Mapping[str, str]) -> dict[str, Any] | None:
    return None


def landing_url_after_confirmation(account: Any, invitation_token: str | None) -> str | None:
    return None
