"""The logout_token rules of Back-Channel Logout 1.0 (section 2.6), key by key."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from clients.common.logout_token import (
    BACKCHANNEL_EVENT,
    JwksCache,
    LogoutTokenError,
    verify_logout_token,
)
from tests.clients.conftest import CLIENT_ID, StandInIssuer

ISSUER = "http://op.test"


@pytest.fixture
def issuer(rsa_key) -> StandInIssuer:
    return StandInIssuer(url=ISSUER, keys=[rsa_key])


def verify(issuer: StandInIssuer, token: str, **kwargs):
    keys = KeySet.import_key_set(issuer.jwks())
    return verify_logout_token(token, keys, issuer=ISSUER, client_id=CLIENT_ID, **kwargs)


def test_valid_token_gives_sid_sub_and_jti(issuer):
    """A well-formed token signed by the OP is accepted and its claims returned."""
    claims = verify(issuer, issuer.logout_token(jti="j-1"))
    assert (claims.sid, claims.sub, claims.jti) == ("sid-1", "sub-1", "j-1")


def test_audience_may_be_a_list(issuer):
    """aud as an array containing our client_id is accepted."""
    assert verify(issuer, issuer.logout_token(aud=["other", CLIENT_ID])).sid == "sid-1"


def test_sid_alone_or_sub_alone_is_enough(issuer):
    """Either sid or sub identifies what to end."""
    assert verify(issuer, issuer.logout_token(sub=None)).sub is None
    assert verify(issuer, issuer.logout_token(sid=None)).sid is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "http://evil.test"}, "wrong issuer"),
        ({"aud": "another-client"}, "wrong audience"),
        ({"events": None}, "event missing"),
        ({"events": {"http://schemas.openid.net/event/other": {}}}, "event missing"),
        ({"events": {BACKCHANNEL_EVENT: "yes"}}, "event missing"),
        ({"nonce": "n-1"}, "nonce"),
        ({"iat": int(time.time()) - 3600}, "iat out of range"),
        ({"iat": int(time.time()) + 3600}, "iat out of range"),
        ({"iat": None}, "iat missing"),
        ({"sid": None, "sub": None}, "neither sub nor sid"),
        ({"jti": None}, "jti missing"),
        ({"exp": int(time.time()) - 3600}, "expired"),
    ],
)
def test_bad_claims_are_refused(issuer, overrides, reason):
    """Each rule of section 2.6 refuses the token that breaks it."""
    with pytest.raises(LogoutTokenError, match=reason):
        verify(issuer, issuer.logout_token(**overrides))


def test_signature_by_another_key_is_refused(issuer):
    """A token signed with a key that is not in the OP's JWKS is refused."""
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(LogoutTokenError, match="bad signature"):
        verify(issuer, issuer.logout_token(key=stranger))


def test_tampered_token_is_refused(issuer):
    """Changing the payload breaks the signature."""
    head, payload, sig = issuer.logout_token().split(".")
    other = issuer.logout_token(sid="sid-2").split(".")[1]
    with pytest.raises(LogoutTokenError, match="bad signature"):
        verify(issuer, f"{head}.{other}.{sig}")
    assert payload != other


def test_unsigned_and_hmac_tokens_are_refused(issuer):
    """alg "none" and a symmetric algorithm are never accepted."""
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": int(time.time()),
        "jti": "x",
        "sid": "s",
        "events": {BACKCHANNEL_EVENT: {}},
    }
    hmac_token = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key("k" * 32))
    with pytest.raises(LogoutTokenError):
        verify(issuer, hmac_token)
    import base64
    import json

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    with pytest.raises(LogoutTokenError):
        verify(issuer, f"{b64({'alg': 'none'})}.{b64(claims)}.")


def test_wrong_typ_is_refused(issuer):
    """A token typed as something else (e.g. an ID token "at+jwt") is refused."""
    with pytest.raises(LogoutTokenError, match="typ"):
        verify(issuer, issuer.logout_token(header={"typ": "at+jwt"}))


def test_es256_key_is_accepted(issuer):
    """An OP signing with ES256 is supported."""
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec1"})
    issuer.keys.append(ec)
    assert verify(issuer, issuer.logout_token(key=ec)).jti


def test_jwks_cache_refetches_after_key_rotation(issuer):
    """After the OP rotates its key, the cache fetches the JWKS again and accepts the token."""
    fetches = []

    def fetch():
        fetches.append(1)
        return issuer.jwks()

    cache = JwksCache(fetch, min_interval=0)
    assert cache.verify(issuer.logout_token(), issuer=ISSUER, client_id=CLIENT_ID)
    issuer.rotate()
    assert cache.verify(issuer.logout_token(), issuer=ISSUER, client_id=CLIENT_ID)
    assert len(fetches) == 2
