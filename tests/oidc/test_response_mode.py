"""response_mode=form_post: the code goes to the client in an auto-posted form."""

from __future__ import annotations

from tests.oidc.helpers import (
    authorize_url,
    pkce,
)


def test_form_post_response_mode(live_server, browser, person, rp):
    """response_mode=form_post returns a page whose form posts code and state to the RP."""
    url = authorize_url(live_server, rp, pkce()[1], response_mode="form_post", state="fp")
    page = browser.authorize(url, person)
    assert page.status_code == 200
    assert f'action="{rp.redirect_uri}"' in page.text
    assert 'name="code"' in page.text and 'name="state" value="fp"' in page.text
    assert "js/oidc.js" in page.text  # auto-submit without inline script (CSP)
