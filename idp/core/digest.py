"""Digests of secrets that are stored only as a digest: link and invitation tokens, client
secrets, registration access tokens. A token is long and random, so one SHA-256 (no salt,
no stretching) is enough; a stored digest is compared in constant time."""

from __future__ import annotations

import hashlib
import hmac


def secret_digest(secret: str) -> str:
    """Hex SHA-256 of `secret`, the form in which it is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches_digest(stored: str | None, secret: str) -> bool:
    """True when `secret` is the one whose digest is `stored` (constant time)."""
    return stored is not None and hmac.compare_digest(stored, secret_digest(secret))
