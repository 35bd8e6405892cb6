"""Signing keys: stored in the database, loaded once per process, rotated on demand.

One active key per algorithm (RS256, ES256) signs; `rotate_keys()` retires them and
creates new ones. A retired key stays published in JWKS until `not_after`, when every
token it signed has expired. Each process caches the keyring in `app.extensions` and
re-checks a tiny version query at most every OIDC_KEYS_CHECK_INTERVAL seconds.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import func

from idp.accounts.models import utcnow
from idp.extensions import db
from idp.oidc.models import SigningKey

ALGS = ("RS256", "ES256")
CACHE_KEY = "compte.keys"
_lock = threading.Lock()


@dataclass
class Keyring:
    """What a process needs to sign and publish, prepared once."""

    version: tuple
    signing: dict[str, RSAKey | ECKey]
    public: KeySet
    jwks_bytes: bytes
    etag: str
    # The earliest time a published key stops being published (forces a reload).
    next_expiry: float
    checked_at: float = field(default_factory=time.monotonic)


def _new_key(alg: str) -> SigningKey:
    params = {"alg": alg, "use": "sig"}
    if alg == "RS256":
        key = RSAKey.generate_key(2048, parameters=params, private=True, auto_kid=True)
    elif alg == "ES256":
        key = ECKey.generate_key("P-256", parameters=params, private=True, auto_kid=True)
    else:  # pragma: no cover - guarded by ALGS
        raise ValueError(alg)
    return SigningKey(kid=key.kid, alg=alg, private_jwk=key.as_dict(private=True))


def _grace() -> timedelta:
    """How long a retired key stays published: the longest lifetime of what it signed."""
    cfg = current_app.config
    longest = max(
        int(cfg.get("ID_TOKEN_LIFETIME", 600)),
        int(cfg.get("ACCESS_TOKEN_LIFETIME", 600)),
    )
    margin = int(cfg.get("OIDC_KEYS_CHECK_INTERVAL", 10)) + 60
    # The retired key may still sign during the activation delay of its successor.
    return timedelta(seconds=longest + margin + int(cfg.get("OIDC_KEY_ACTIVATION_DELAY", 0)))


def ensure_keys() -> list[SigningKey]:
    """Create an active key for every algorithm that has none. Commits if it creates."""
    active = set(
        db.session.scalars(db.select(SigningKey.alg).where(SigningKey.retired_at.is_(None)))
    )
    created = [_new_key(alg) for alg in ALGS if alg not in active]
    if created:
        db.session.add_all(created)
        db.session.commit()
        invalidate()
    return created


def rotate_keys() -> list[SigningKey]:
    """Retire the active keys (still published until their tokens expire), create new
    ones that sign from now on. Commits."""
    now = utcnow()
    not_after = now + _grace()
    for key in db.session.scalars(db.select(SigningKey).where(SigningKey.retired_at.is_(None))):
        key.retired_at = now
        key.not_after = not_after
    created = [_new_key(alg) for alg in ALGS]
    db.session.add_all(created)
    db.session.commit()
    invalidate()
    return created


def prune_keys() -> int:
    """Delete retired keys past their publication time. Commits."""
    result = db.session.execute(
        db.delete(SigningKey).where(
            SigningKey.not_after.is_not(None), SigningKey.not_after < utcnow()
        )
    )
    db.session.commit()
    invalidate()
    return result.rowcount or 0


def _version() -> tuple:
    row = db.session.execute(
        db.select(
            func.count(SigningKey.id), func.max(SigningKey.id), func.count(SigningKey.retired_at)
        )
    ).one()
    return tuple(row)


def _load(version: tuple) -> Keyring:
    now = utcnow()
    rows = list(
        db.session.scalars(
            db.select(SigningKey)
            .where((SigningKey.not_after.is_(None)) | (SigningKey.not_after > now))
            .order_by(SigningKey.id)
        )
    )
    # A new key is published at once but signs only after OIDC_KEY_ACTIVATION_DELAY
    # seconds, so that every instance serves it in JWKS before any token uses it;
    # meanwhile the key it replaces keeps signing.
    delay = float(current_app.config.get("OIDC_KEY_ACTIVATION_DELAY", 0))
    signing: dict[str, RSAKey | ECKey] = {}
    waiting: dict[str, RSAKey | ECKey] = {}
    previous: dict[str, RSAKey | ECKey] = {}
    public_keys = []
    next_expiry = float("inf")
    for row in rows:  # ordered by id: later rows are newer
        key = (RSAKey if row.alg == "RS256" else ECKey).import_key(row.private_jwk)
        public_keys.append(key)
        if row.not_after is not None:
            remaining = (row.not_after - now).total_seconds()
            next_expiry = min(next_expiry, time.monotonic() + remaining)
        if row.retired_at is not None:
            previous[row.alg] = key
            continue
        age = (now - row.created_at).total_seconds()
        if age >= delay:
            signing[row.alg] = key
        else:
            waiting[row.alg] = key
            next_expiry = min(next_expiry, time.monotonic() + delay - age)
    for alg, key in waiting.items():
        signing.setdefault(alg, previous.get(alg, key))
    public = KeySet(public_keys)
    jwks = {"keys": [k.as_dict(private=False) for k in public_keys]}
    jwks_bytes = json.dumps(jwks, separators=(",", ":"), sort_keys=True).encode()
    etag = hashlib.sha256(jwks_bytes).hexdigest()[:32]
    return Keyring(version, signing, public, jwks_bytes, etag, next_expiry)


def invalidate() -> None:
    """Forget this process's keyring (after a rotation in this process)."""
    current_app.extensions.pop(CACHE_KEY, None)


def keyring() -> Keyring:
    """The current keyring, loaded once and re-checked cheaply now and then."""
    app = current_app
    ring: Keyring | None = app.extensions.get(CACHE_KEY)
    interval = float(app.config.get("OIDC_KEYS_CHECK_INTERVAL", 10))
    now = time.monotonic()
    if ring is not None and now - ring.checked_at < interval and now < ring.next_expiry:
        return ring
    with _lock:
        version = _version()
        if ring is not None and version == ring.version and now < ring.next_expiry:
            ring.checked_at = now
            return ring
        if version[0] == 0 or not _has_all_algs():
            ensure_keys()
            version = _version()
        ring = _load(version)
        app.extensions[CACHE_KEY] = ring
        return ring


def _has_all_algs() -> bool:
    active = set(
        db.session.scalars(db.select(SigningKey.alg).where(SigningKey.retired_at.is_(None)))
    )
    return all(alg in active for alg in ALGS)


def signing_key(alg: str) -> RSAKey | ECKey:
    """The private key that signs with `alg` now."""
    return keyring().signing[alg]
