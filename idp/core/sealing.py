"""Secrets at rest: what the database must keep but a database dump must not reveal
(private signing keys, queued mail bodies holding live links, a refresh answer kept for a
retry, authenticator-app secrets) is sealed: encrypted and authenticated with Fernet
(AES-128-CBC + HMAC-SHA256, from `cryptography`) under the key-encryption keys (KEK),
which never live in the database.

The KEKs come from KEY_ENCRYPTION_KEY (several, separated by commas or spaces) and/or the
file named by KEY_ENCRYPTION_KEY_FILE (one per line). The first one seals; every one
unseals, so a KEK is rotated by putting the new one first, running `compte keys rewrap`
(which re-seals everything under it), then dropping the old one. Without any KEK, a key
derived from SECRET_KEY is used (zero set-up for the demo); it also stays as the last
unsealing key, so that data sealed before a dedicated KEK was set remains readable until
`compte keys rewrap` has run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy.orm import InstrumentedAttribute

from idp.core.extensions import db

MIN_KEK_LENGTH = 32
_CACHE = "compte.sealing"


class SealError(ValueError):
    """A sealed value could not be opened (no KEK fits, or it was altered)."""


class KeyEncryptionKeyError(ValueError):
    """A key-encryption key is missing, too short, or its file unreadable."""


def _fernet_key(material: str) -> bytes:
    """A Fernet key from any long secret string (HKDF-SHA256: operators may use passphrases
    or `compte keys new-kek` output alike)."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"compte", info=b"compte key-encryption v1"
    ).derive(material.encode("utf-8"))
    return base64.urlsafe_b64encode(derived)


def configured_keks(config: Mapping[str, Any]) -> list[str]:
    """The dedicated KEKs, current first (empty when none is configured)."""
    keys = [k for k in re.split(r"[\s,]+", str(config.get("KEY_ENCRYPTION_KEY") or "")) if k]
    path = str(config.get("KEY_ENCRYPTION_KEY_FILE") or "")
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise KeyEncryptionKeyError(f"KEY_ENCRYPTION_KEY_FILE unreadable: {error}") from None
        keys += [line.strip() for line in text.splitlines() if line.strip()]
    for key in keys:
        if len(key) < MIN_KEK_LENGTH:
            raise KeyEncryptionKeyError(
                f"A key-encryption key must have at least {MIN_KEK_LENGTH} characters "
                "(make one with `compte keys new-kek`)."
            )
    return keys


def fingerprint(material: str) -> str:
    """A short, non-secret name for a KEK (shown by `compte keys list`)."""
    return hashlib.sha256(b"compte-kek-id" + material.encode("utf-8")).hexdigest()[:12]


class Sealer:
    """Seals with the first KEK, opens with any of them."""

    def __init__(self, keks: list[str], secret_key: str) -> None:
        materials = list(keks) + ["secret-key:" + secret_key]
        self.fingerprints = [fingerprint(m) for m in materials]
        self.dedicated = bool(keks)
        self._fernet = MultiFernet([Fernet(_fernet_key(m)) for m in materials])

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def unseal(self, sealed: str) -> str:
        with _opening():
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")

    def reseal(self, sealed: str) -> str:
        """The same plaintext sealed under the current KEK."""
        with _opening():
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")


@contextmanager
def _opening() -> Iterator[None]:
    try:
        yield
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise SealError("sealed value cannot be opened with the configured keys") from error


def sealer() -> Sealer:
    """The current app's sealer (built once per app)."""
    app = current_app
    found: Sealer | None = app.extensions.get(_CACHE)
    if found is None:
        found = Sealer(configured_keks(app.config), str(app.config["SECRET_KEY"]))
        app.extensions[_CACHE] = found
    return found


def seal(plaintext: str) -> str:
    return sealer().seal(plaintext)


def unseal(sealed: str) -> str:
    return sealer().unseal(sealed)


def reseal_column(column: InstrumentedAttribute[str | None]) -> int:
    """Seal every stored value of `column` again under the current KEK (`compte keys
    rewrap`, after a KEK rotation). Not committed; returns how many."""
    rows = list(db.session.scalars(sa.select(column.class_).where(column.is_not(None))))
    for row in rows:
        setattr(row, column.key, sealer().reseal(getattr(row, column.key)))
    return len(rows)
