"""The `nir` scope: the social security number only for clients allowed it."""

from __future__ import annotations

from tests.oidc.helpers import (
    browser_tokens,
    userinfo,
)


def test_nir_only_for_clients_allowed_the_nir_scope(live_server, browser, person, make_rp):
    """The NIR is released only with the dedicated scope, to a client allowed it, after
    the consent page said so in words."""
    plain = make_rp("Sans NIR")
    allowed = make_rp("Avec NIR", scopes=["openid", "profile", "nir"])
    denied = browser_tokens(live_server, browser, person, plain, scope="openid profile nir")
    assert "nir" not in userinfo(live_server, denied["access_token"]).json()
    granted = browser_tokens(live_server, browser, person, allowed, scope="openid profile nir")
    assert "Votre numéro de sécurité sociale" in browser.last_page
    info = userinfo(live_server, granted["access_token"]).json()
    assert info["nir"] == "1800575123456" + f"{97 - 1800575123456 % 97:02d}"
