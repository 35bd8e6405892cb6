"""Filling Compte's forms as a person would: a page's CSRF token, and the registration
form of seed 000's Ivan Pierre."""

from __future__ import annotations

import re
from html import unescape

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')

EMAIL = "pierreivan@yopmail.com"
PASSWORD = "Formation#2026"


def find_csrf(html: str) -> str | None:
    """The first CSRF token of a page, or None when it has no form."""
    found = _CSRF.search(html)
    return unescape(found.group(1) or found.group(2)) if found else None


def csrf_of(html: str) -> str:
    """The first CSRF token of a page, which must have one."""
    token = find_csrf(html)
    assert token, "no CSRF token in the page"
    return token


def person(email: str = EMAIL, password: str = PASSWORD, **overrides: str) -> dict[str, str]:
    """The registration form of seed 000's Ivan Pierre (cnfpt preset), without CSRF token
    or captcha; `overrides` change or add fields."""
    return {
        "civility": "m",
        "given_name": "Ivan",
        "family_name": "Pierre",
        "birth_name": "",
        "birthdate": "1985-05-01",
        "email": email,
        "email_confirm": email,
        "secondary_email": "",
        "phone": "",
        "mobile": "",
        "nir": "",
        "password": password,
        "password_confirm": password,
        "accept_terms": "y",
        **overrides,
    }
