"""Pairwise subjects: one stable `sub` per sector (host of the redirect URI)."""

from __future__ import annotations

from joserfc import jwt

from tests.oidc.helpers import (
    browser_tokens,
    jwks_of,
    userinfo,
)


def test_pairwise_subject_differs_per_sector(live_server, browser, person, make_rp):
    """Pairwise clients of different hosts see different, stable subjects (not the public one)."""
    a = make_rp("A", redirect_uris=("http://localhost:9/cb",), subject_type="pairwise")
    b = make_rp("B", redirect_uris=("http://127.0.0.1:9/cb",), subject_type="pairwise")
    sub_a = jwt.decode(
        browser_tokens(live_server, browser, person, a)["id_token"], jwks_of(live_server)
    )
    sub_b = jwt.decode(
        browser_tokens(live_server, browser, person, b)["id_token"], jwks_of(live_server)
    )
    again = browser_tokens(live_server, browser, person, a)
    assert sub_a.claims["sub"] != person.sub and sub_b.claims["sub"] != person.sub
    assert sub_a.claims["sub"] != sub_b.claims["sub"]
    assert userinfo(live_server, again["access_token"]).json()["sub"] == sub_a.claims["sub"]
