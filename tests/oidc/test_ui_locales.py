"""ui_locales: the language a client asks for Compte's pages."""

from __future__ import annotations

from tests.oidc.helpers import (
    authorize_url,
    pkce,
)


def test_ui_locales_switches_the_pages_to_english(live_server, browser, person, rp):
    """ui_locales=en is remembered for the login and consent pages."""
    url = authorize_url(live_server, rp, pkce()[1], ui_locales="en-GB fr")
    browser.http.get(url, allow_redirects=False)
    page = browser.http.get(f"{live_server}/login", allow_redirects=False)
    assert '<html lang="en"' in page.text
