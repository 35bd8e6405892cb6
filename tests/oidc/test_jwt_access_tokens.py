"""RFC 9068 JWT access tokens for clients that ask for them."""

from __future__ import annotations

from joserfc import jwt

from tests.oidc.helpers import (
    browser_tokens,
    jwks_of,
    userinfo,
)


def test_jwt_access_tokens(live_server, browser, person, make_rp):
    """access_token_format=jwt gives RFC 9068 tokens (typ at+jwt) still usable and revocable."""
    rp = make_rp(access_token_format="jwt")
    tokens = browser_tokens(live_server, browser, person, rp)
    token = jwt.decode(tokens["access_token"], jwks_of(live_server))
    assert token.header["typ"] == "at+jwt"
    assert token.claims["iss"] == live_server and token.claims["client_id"] == rp.client_id
    assert token.claims["sub"] == person.sub
    assert userinfo(live_server, tokens["access_token"]).status_code == 200
