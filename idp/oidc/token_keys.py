"""How an opaque access or refresh token is written, the key its row is found by, and
the id of a new refresh family.

A token is 14 hex digits of its issue time (microseconds), then 43 random base64url
characters (256 bits). Its row keeps `lookup_key(token)`: the same 14 digits, then the
SHA-256 of the whole token. Why the time first: keys that grow are written at the end of
`oauth_token`'s unique indexes, where PostgreSQL already has the page; a bare SHA-256
lands on a random leaf, and on ten million rows that leaf costs a full 8 kB page image
in the WAL after every checkpoint (scripts/bench_token_index.py: 7.3 kB of WAL per token
against 0.6 kB; docs/benchmarks.md, "Scale"). The issue time is no secret: `iat` of
introspection tells it too.

Tokens issued before this format (43 random characters) and JWT access tokens keep the
hex SHA-256 of the token as their key, so they stay valid until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import uuid

from idp.core.digest import secret_digest

TIME_DIGITS = 14
_GROWING = re.compile(rf"[0-9a-f]{{{TIME_DIGITS}}}[A-Za-z0-9_-]{{43}}")


def new_token() -> str:
    """A new opaque token: its issue time, then 256 random bits."""
    return f"{time.time_ns() // 1000:0{TIME_DIGITS}x}{secrets.token_urlsafe(32)}"


def new_family_id() -> str:
    """The id of a new refresh family: a UUID version 7 (RFC 9562), whose first 48 bits
    are the time in milliseconds, so that a new family is written at the end of
    `ix_oauth_token_family_id` for the reason above. By hand: Python's `uuid` has no
    version 7 before 3.14, and five lines do not warrant a dependency."""
    random_bits = secrets.randbits(74)
    value = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | (random_bits >> 62) << 64
    value |= 0b10 << 62 | random_bits & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def lookup_key(token: str) -> str:
    """The key of the row of `token` (57 characters; 64 hex for the older forms)."""
    if not _GROWING.fullmatch(token):
        return secret_digest(token)
    digest = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest())
    return token[:TIME_DIGITS] + digest.rstrip(b"=").decode()
