"""Signing keys: sealed in the database, loaded once per process, rotated on demand.

One key per algorithm (RS256, ES256) signs. `rotate_keys()` creates successors that are
published at once but sign only from their `activates_at`, OIDC_KEY_ACTIVATION_DELAY
seconds later: by then every instance (which re-checks every OIDC_KEYS_CHECK_INTERVAL
seconds) and every relying party (which may cache JWKS for its max-age) has seen them.
The key they replace signs until then, and stays published until `not_after`, when every
token it signed has expired. Each process caches the keyring in `app.extensions`.

A token's key is chosen for its `iat` (`sign`), not for the moment of signing: one clock
read for both, so its iat always falls in its key's signing window, even for a request
under way at an activation. Activation times are whole seconds, as `iat` is (a delayed one
rounded up, never early).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError

from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import seal, unseal
from idp.oidc.capabilities import DEFAULT_SIGNING_ALG, SUPPORTED
from idp.oidc.models import SigningKey

# A key per supported algorithm is kept and published, whatever the settings switch on:
# tokens signed before a switch changed stay verifiable.
ALGS = SUPPORTED.signing_algs
CACHE_KEY = "compte.keys"
# JWKS responses may be cached by relying parties this long (Cache-Control max-age):
# short, so that a rotated-in key may sign within a minute (OIDC_KEY_ACTIVATION_DELAY,
# 60 s > 10 s for every instance to see it + 30 s of cache + margin); JWKS is prepared
# bytes, cheap to fetch again.
JWKS_MAX_AGE = 30
_lock = threading.Lock()
log = logging.getLogger(__name__)


@dataclass
class Keyring:
    """What a process needs to sign and publish, prepared once."""

    version: tuple
    # Per algorithm, its keys in order of activation, each with its `activates_at` in
    # POSIX seconds: which one signs depends on the token's iat, not on the load time.
    schedule: dict[str, list[tuple[float, RSAKey | ECKey]]]
    public: KeySet
    jwks_bytes: bytes
    etag: str
    # The earliest time a published key stops being published (forces a reload).
    next_expiry: float
    checked_at: float = field(default_factory=time.monotonic)

    def key_at(self, alg: str, at: float) -> RSAKey | ECKey:
        """The key that signs with `alg` at `at` (POSIX seconds): the last activated by
        then, or the first one if none is yet (nothing else could sign)."""
        keys = self.schedule[alg]
        return next((key for since, key in reversed(keys) if since <= at), keys[0][1])

    @property
    def signing(self) -> dict[str, RSAKey | ECKey]:
        """The key that signs now, per algorithm."""
        now = time.time()
        return {alg: self.key_at(alg, now) for alg in self.schedule}


def _new_key(alg: str, activates_at: datetime) -> SigningKey:
    params = {"alg": alg, "use": "sig"}
    if alg == "RS256":
        key = RSAKey.generate_key(2048, parameters=params, private=True, auto_kid=True)
    elif alg == "ES256":
        key = ECKey.generate_key("P-256", parameters=params, private=True, auto_kid=True)
    else:  # pragma: no cover - guarded by ALGS
        raise ValueError(alg)
    sealed = seal(json.dumps(key.as_dict(private=True)))
    return SigningKey(kid=key.kid, alg=alg, sealed_jwk=sealed, activates_at=activates_at)


def _whole_second(at: datetime, up: bool = False) -> datetime:
    # A key then signs from exactly its `activates_at`, as tokens' iat are whole seconds;
    # `up` for a delayed activation, which must never come before the delay has passed.
    whole = at.replace(microsecond=0)
    return whole + timedelta(seconds=1) if up and whole < at else whole


def activation_delay() -> int:
    """Seconds between publishing a rotated-in key and signing with it."""
    return int(current_app.config["OIDC_KEY_ACTIVATION_DELAY"])


def _grace() -> timedelta:
    """How long a retired key stays published: the longest lifetime of what it signed,
    plus the time relying parties and instances may keep an older JWKS."""
    cfg = current_app.config
    longest = max(int(cfg["ID_TOKEN_LIFETIME"]), int(cfg["ACCESS_TOKEN_LIFETIME"]))
    return timedelta(seconds=longest + int(cfg["OIDC_KEYS_CHECK_INTERVAL"]) + 60)


def ensure_keys() -> list[SigningKey]:
    """Create a key for every algorithm that has none in use, signing at once (nothing else
    can sign for it). Commits if it creates."""
    in_use = set(
        db.session.scalars(db.select(SigningKey.alg).where(SigningKey.retired_at.is_(None)))
    )
    now = _whole_second(utcnow())
    created = [_new_key(alg, now) for alg in ALGS if alg not in in_use]
    if created:
        db.session.add_all(created)
        db.session.commit()
        invalidate()
    return created


def rotate_keys(immediately: bool = False) -> list[SigningKey]:
    """Create successors of the keys in use, published now and signing after the
    activation delay (at once with `immediately`, for a compromised key: tokens signed
    then may fail at instances or relying parties that have not reloaded JWKS yet).
    The keys replaced sign until then and stay published until their tokens expire.
    Commits."""
    now = utcnow()
    if immediately:
        activates_at = _whole_second(now)
    else:
        activates_at = _whole_second(now + timedelta(seconds=activation_delay()), up=True)
    for key in db.session.scalars(db.select(SigningKey).where(SigningKey.retired_at.is_(None))):
        key.retired_at = activates_at
        key.not_after = activates_at + _grace()
    created = [_new_key(alg, activates_at) for alg in ALGS]
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
            .order_by(SigningKey.activates_at, SigningKey.id)
        )
    )
    schedule: dict[str, list[tuple[float, RSAKey | ECKey]]] = {}
    public_keys = []
    # When this keyring stops being right: a key leaves JWKS. An activation needs no
    # reload, the schedule already holds it.
    changes = [row.not_after for row in rows if row.not_after]
    for row in rows:  # in order of activation
        key = (RSAKey if row.alg == "RS256" else ECKey).import_key(
            json.loads(unseal(row.sealed_jwk))
        )
        public_keys.append(key)
        since = row.activates_at.replace(tzinfo=UTC).timestamp()
        schedule.setdefault(row.alg, []).append((since, key))
    public = KeySet(public_keys)
    jwks = {"keys": [k.as_dict(private=False) for k in public_keys]}
    jwks_bytes = json.dumps(jwks, separators=(",", ":"), sort_keys=True).encode()
    etag = hashlib.sha256(jwks_bytes).hexdigest()[:32]
    upcoming = [(t - now).total_seconds() for t in changes if t > now]
    next_expiry = time.monotonic() + min(upcoming) if upcoming else float("inf")
    return Keyring(version, schedule, public, jwks_bytes, etag, next_expiry)


def invalidate() -> None:
    """Forget this process's keyring (after a rotation in this process)."""
    current_app.extensions.pop(CACHE_KEY, None)


def keyring() -> Keyring:
    """The current keyring, loaded once and re-checked cheaply now and then."""
    app = current_app
    ring: Keyring | None = app.extensions.get(CACHE_KEY)
    interval = float(app.config["OIDC_KEYS_CHECK_INTERVAL"])
    now = time.monotonic()
    if ring is not None and now - ring.checked_at < interval and now < ring.next_expiry:
        return ring
    if ring is None:
        _lock.acquire()
    elif not _lock.acquire(blocking=False):
        # Another thread is re-checking: use the keys known rather than queue behind it
        # (each with its own connection timeout while the database hangs).
        return ring
    try:
        try:
            version = _version()
        except SQLAlchemyError:
            if ring is None:
                raise
            # The database is out: keep serving and signing with the keys known (JWKS and
            # discovery stay up); try again at the next interval.
            db.session.rollback()
            log.warning("signing keys not re-checked: database unavailable")
            ring.checked_at = now
            ring.next_expiry = max(ring.next_expiry, now + interval)
            return ring
        if ring is not None and version == ring.version and now < ring.next_expiry:
            ring.checked_at = now
            return ring
        if version[0] == 0 or not _has_all_algs():
            ensure_keys()
            version = _version()
        ring = _load(version)
        app.extensions[CACHE_KEY] = ring
        return ring
    finally:
        _lock.release()


def _has_all_algs() -> bool:
    active = set(
        db.session.scalars(db.select(SigningKey.alg).where(SigningKey.retired_at.is_(None)))
    )
    return all(alg in active for alg in ALGS)


def signing_key(alg: str, at: float) -> RSAKey | ECKey:
    """The private key that signs with `alg` a token issued at `at` (POSIX seconds)."""
    return keyring().key_at(alg, at)


def client_alg(client: object) -> str:
    """The algorithm a client's tokens are signed with (ID, access and logout tokens)."""
    return getattr(client, "id_token_signed_response_alg", None) or DEFAULT_SIGNING_ALG


def sign(claims: dict, alg: str, typ: str) -> str:
    """`claims` as a JWT signed by the key for `alg` at its `iat` (its `kid` in the header):
    the key is chosen from the same clock read as the iat, never a later one."""
    key = signing_key(alg, claims["iat"])
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": typ}, claims, key)
