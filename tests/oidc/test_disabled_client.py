"""A disabled client: its tokens die and its authorization requests are refused."""

from __future__ import annotations

from urllib.parse import urlsplit

from idp.core.extensions import db
from tests.oidc.helpers import (
    authorize_url,
    browser_tokens,
    pkce,
    userinfo,
)


def test_disabled_client_is_refused_and_its_tokens_die(app, live_server, browser, person, rp):
    """Disabling a client revokes its tokens and refuses new authorizations."""
    from idp.oidc.clients import get_client, set_disabled

    tokens = browser_tokens(live_server, browser, person, rp)
    with app.app_context():
        set_disabled(get_client(rp.client_id), True)
        db.session.commit()
    assert userinfo(live_server, tokens["access_token"]).status_code == 401
    page = browser.http.get(authorize_url(live_server, rp, pkce()[1]), allow_redirects=False)
    assert page.status_code == 400 and "Location" not in page.headers
    assert urlsplit(live_server).netloc
