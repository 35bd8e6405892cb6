"""Verification of an OpenID Connect Back-Channel Logout 1.0 `logout_token` (section 2.6).

Plain functions over joserfc (the JOSE library Authlib itself uses): nothing here knows
Flask, so the rules are tested with keys and tokens the tests sign themselves.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]  # never "none" nor HMAC
MAX_AGE = 300  # seconds: an older logout token is refused
CLOCK_SKEW = 60


class LogoutTokenError(ValueError):
    """The logout token must be refused (the message says why, for the logs)."""


@dataclass(frozen=True)
class LogoutClaims:
    jti: str
    sub: str | None
    sid: str | None
    iat: int


def verify_logout_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    now: float | None = None,
    max_age: int = MAX_AGE,
) -> LogoutClaims:
    """Check signature, iss, aud, iat, events, sub/sid, no nonce; return the claims."""
    try:
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError, TypeError) as error:
        raise LogoutTokenError(f"bad signature or format: {error}") from error
    claims: dict[str, Any] = decoded.claims
    typ = decoded.header.get("typ")
    if typ is not None and typ.lower() not in ("logout+jwt", "jwt", "application/logout+jwt"):
        raise LogoutTokenError(f"unexpected typ {typ!r}")
    if not hmac.compare_digest(str(claims.get("iss", "")), issuer):
        raise LogoutTokenError("wrong issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise LogoutTokenError("wrong audience")
    now = time.time() if now is None else now
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise LogoutTokenError("iat missing")
    if iat > now + CLOCK_SKEW or iat < now - max_age:
        raise LogoutTokenError("iat out of range")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int | float) or exp < now - CLOCK_SKEW):
        raise LogoutTokenError("expired")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise LogoutTokenError("back-channel logout event missing")
    if "nonce" in claims:
        raise LogoutTokenError("a logout token must not carry a nonce")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not sub and not sid:
        raise LogoutTokenError("neither sub nor sid")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise LogoutTokenError("jti missing")
    return LogoutClaims(jti=jti, sub=sub or None, sid=sid or None, iat=int(iat))


class JwksCache:
    """The OP's signing keys, fetched once and fetched again when a token names a key we
    do not know (key rotation), at most every `min_interval` seconds."""

    def __init__(self, fetch: Callable[[], dict[str, Any]], min_interval: float = 10.0):
        self._fetch = fetch
        self._min_interval = min_interval
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def keys(self, refresh: bool = False) -> KeySet:
        with self._lock:
            stale = time.monotonic() - self._fetched_at > self._min_interval
            if self._keys is None or (refresh and stale):
                self._keys = KeySet.import_key_set(self._fetch())
                self._fetched_at = time.monotonic()
            return self._keys

    def verify(self, token: str, **kwargs: Any) -> LogoutClaims:
        """Verify with the cached keys; on a signature failure, re-fetch once and retry."""
        try:
            return verify_logout_token(token, self.keys(), **kwargs)
        except LogoutTokenError as error:
            if not str(error).startswith("bad signature"):
                raise
        return verify_logout_token(token, self.keys(refresh=True), **kwargs)
