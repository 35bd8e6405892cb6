"""Checking what a provider signs (its ID token, its signed userinfo) with joserfc: the
signature with the provider's keys and the algorithms its discovery document lists, then
the claims one by one, each failure with its own reason code (idp/federation/errors.py).

Never `none`; a shared-secret algorithm (HS256…) only when the provider lists it and
Compte holds a client secret (the key is then that secret)."""

from __future__ import annotations

import hmac
import time
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, OctKey

from idp.federation import discovery
from idp.federation.errors import FederationError
from idp.federation.models import UpstreamProvider

ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
SYMMETRIC = ("HS256", "HS384", "HS512")
LEEWAY = 60  # seconds of clock difference tolerated with the provider
MAX_TOKEN_AGE = 600  # an ID token is issued for this sign-in: `iat` is recent
# FranceConnect's and ProConnect's levels (eIDAS low, substantial, high): a higher level
# than asked is accepted, a lower one is not.
EIDAS_LEVELS = ("eidas1", "eidas2", "eidas3")


def _algorithms(meta: dict[str, Any], listed_key: str, secret: str | None) -> list[str]:
    # Discovery: RS256 when the provider lists nothing (ID tokens) or for userinfo, the
    # ID token's algorithms.
    listed = meta.get(listed_key) or meta.get("id_token_signing_alg_values_supported")
    listed = listed if isinstance(listed, list) else ["RS256"]
    return [a for a in listed if a in ASYMMETRIC or (a in SYMMETRIC and secret)]


def decode(
    provider: UpstreamProvider,
    token: str,
    *,
    secret: str | None,
    algorithms_key: str = "id_token_signing_alg_values_supported",
) -> dict[str, Any]:
    """The claims of a JWS the provider signed, its signature verified."""
    meta = discovery.metadata(provider)
    try:
        header = jws.extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, UnicodeError) as error:
        raise FederationError("bad_token", f"not a JWS: {type(error).__name__}") from None
    alg = header.get("alg")
    if alg not in _algorithms(meta, algorithms_key, secret):
        raise FederationError("bad_token", f"algorithm {alg!r} not accepted")
    if alg in SYMMETRIC:
        return _decoded(token, OctKey.import_key(secret or ""), alg)
    try:
        return _decoded(token, discovery.keys(provider), alg)
    except FederationError as error:
        if error.reason != "bad_signature":
            raise
    # Perhaps a key the provider has just added: fetch its keys again, once.
    return _decoded(token, discovery.keys(provider, refresh=True), alg)


def _decoded(token: str, key: KeySet | OctKey, alg: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, key, algorithms=[alg]).claims
    except (BadSignatureError, InvalidKeyIdError) as error:
        raise FederationError("bad_signature", type(error).__name__) from None
    except (JoseError, ValueError, TypeError) as error:
        raise FederationError("bad_token", type(error).__name__) from None
    if not isinstance(claims, dict):
        raise FederationError("bad_token", "claims are not an object")
    return claims


def check_audience(claims: dict[str, Any], client_id: str) -> None:
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise FederationError("wrong_audience", "our client_id is not in aud")
    # OpenID Connect Core 3.1.3.7: with several audiences, azp names the one it is for.
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise FederationError("wrong_audience", "azp is not our client_id")


def check_id_token(
    provider: UpstreamProvider, claims: dict[str, Any], *, nonce: str, now: float | None = None
) -> None:
    """OpenID Connect Core 3.1.3.7: issuer, audience, times, nonce, subject, acr."""
    now = time.time() if now is None else now
    if claims.get("iss") != provider.issuer:
        raise FederationError("wrong_issuer", "iss is not the provider's issuer")
    check_audience(claims, provider.client_id)
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _number(exp) or not _number(iat):
        raise FederationError("bad_token", "exp or iat missing")
    if exp < now - LEEWAY:
        raise FederationError("token_expired", "exp is past")
    if iat > now + LEEWAY or iat < now - MAX_TOKEN_AGE - LEEWAY:
        raise FederationError("token_expired", "iat is not recent")
    if not hmac.compare_digest(str(claims.get("nonce") or ""), nonce):
        raise FederationError("wrong_nonce", "nonce differs")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise FederationError("bad_token", "sub missing")
    check_acr(provider.acr_values, claims.get("acr"))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def acr_satisfies(asked: list[str], given: Any) -> bool:
    """True when `given` is one of the `asked` levels, or an eIDAS level above the lowest
    eIDAS level asked."""
    if not asked:
        return True
    if not isinstance(given, str):
        return False
    if given in asked:
        return True
    ranks = [EIDAS_LEVELS.index(a) for a in asked if a in EIDAS_LEVELS]
    return given in EIDAS_LEVELS and bool(ranks) and EIDAS_LEVELS.index(given) >= min(ranks)


def check_acr(acr_values: str | None, given: Any) -> None:
    if not acr_satisfies((acr_values or "").split(), given):
        raise FederationError("acr_too_low", f"acr {str(given)[:20]!r} for {acr_values!r}")


def check_signed_userinfo(provider: UpstreamProvider, claims: dict[str, Any]) -> None:
    """A signed userinfo answer (OpenID Connect Core 5.3.2): from the provider, for us."""
    if "iss" in claims and claims.get("iss") != provider.issuer:
        raise FederationError("wrong_issuer", "userinfo iss is not the provider's issuer")
    if "aud" in claims:
        check_audience(claims, provider.client_id)
