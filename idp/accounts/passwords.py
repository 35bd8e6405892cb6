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


# A fixed hash to check against when the account does not exist, so that an unknown
# identifier costs the same time as a wrong password (no account enumeration by timing).
def dummy_hash(rounds: int) -> str:
    return _DUMMY.setdefault(rounds, hash_password("compte-dummy-password", rounds))


_DUMMY: dict[int, str] = {}
