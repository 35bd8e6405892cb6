"""Password hashing with bcrypt. Knows nothing of Flask."""

from __future__ import annotations

import base64
import hashlib

import bcrypt


def _prehash(password: str) -> bytes:
    # bcrypt reads at most 72 bytes; a SHA-256 pre-hash lets every character count.
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, rounds: int = 12) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Constant-time check (bcrypt compares in constant time)."""
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


def hash_rounds(password_hash: str) -> int:
    return int(password_hash.split("$")[2])


def needs_rehash(password_hash: str, rounds: int) -> bool:
    return hash_rounds(password_hash) != rounds


def dummy_hash(rounds: int) -> str:
    """A well-formed bcrypt hash of nothing, at `rounds`, to check against when the account
    does not exist: an unknown identifier then costs exactly one bcrypt check, as a wrong
    password does (no account enumeration by timing). Built, not computed (bcrypt checks
    recompute the hash from the salt and cost whatever the stored digest is), and once per
    cost per process."""
    found = _DUMMY.get(rounds)
    if found is None:
        found = _DUMMY[rounds] = bcrypt.gensalt(rounds).decode("ascii") + "." * 31
    return found


_DUMMY: dict[int, str] = {}

# An account made through an upstream provider (idp/federation) may have no password: its
# password_hash is then a well-formed bcrypt hash whose digest is all zero bits (31 "."),
# which no password can produce. Checking a password against it costs one bcrypt check as
# usual (no timing difference) and always fails; "Mot de passe oublié" sets a real one.
NO_PASSWORD_DIGEST = "." * 31


def no_password_hash(rounds: int) -> str:
    """The password_hash of an account without a password (see NO_PASSWORD_DIGEST)."""
    return bcrypt.gensalt(rounds).decode("ascii") + NO_PASSWORD_DIGEST


def has_password(password_hash: str | None) -> bool:
    """False for an account without a password (NO_PASSWORD_DIGEST) or an empty hash."""
    return bool(password_hash) and not password_hash.endswith(NO_PASSWORD_DIGEST)
