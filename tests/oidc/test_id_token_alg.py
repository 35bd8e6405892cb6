"""The ID token signing algorithm chosen per client (RS256 by default, ES256)."""

from __future__ import annotations

from joserfc import jwt

from tests.oidc.helpers import (
    browser_tokens,
    jwks_of,
)


def test_es256_client_gets_es256_id_tokens(live_server, browser, person, make_rp):
    """id_token_signed_response_alg ES256 is honoured and verifiable with JWKS."""
    rp = make_rp(id_token_alg="ES256")
    token = jwt.decode(
        browser_tokens(live_server, browser, person, rp)["id_token"], jwks_of(live_server)
    )
    assert token.header["alg"] == "ES256"
