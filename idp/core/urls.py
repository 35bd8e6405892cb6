"""Addresses the outside world sees: links in mails, in API answers and in protocol
documents use the public issuer, whatever host the request came through."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

# Paths that answer programs (protocol endpoints, APIs), in JSON, rather than people.
MACHINE_PATHS = ("/oauth/", "/.well-known/", "/api/", "/launcher/api")


def external_url(endpoint: str, **values: Any) -> str:
    """The public address of `endpoint` (ISSUER + its path)."""
    return current_app.config["ISSUER"] + url_for(endpoint, **values)
