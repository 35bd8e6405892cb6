"""The demo account, as the services know it: only it finds sample data waiting (courses,
files, communities). Anyone else starts with what they really did, nothing invented."""

from __future__ import annotations

from typing import Any

DEMO_EMAIL = "demo@compte.localhost"


def is_demo_person(claims: dict[str, Any]) -> bool:
    """True for the demo account (its e-mail claim, confirmed by Compte)."""
    email = str(claims.get("email") or "").strip().lower()
    return email == DEMO_EMAIL and claims.get("email_verified", True) is not False
