"""Compte's own "Se déconnecter" in headless Chromium after two services were used: the
page "Vous êtes déconnecté" stays once the front-channel iframes have loaded (it used to
send the person on to a bare login page), and names both services."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from idp.core.extensions import db
from idp.oidc.clients import create_client
from tests.oidc.helpers import authorize_url
from tests.oidc.rp_server import LogoutRecorder
from tests.support.accounts import PASSWORD, make_account
from tests.support.browser import sign_in_with_password
from tests.support.servers import free_port, serve_wsgi

EMAIL = "ivan@example.org"


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


def _service(app, name: str, rp_url: str):
    """A first-party service answering on `rp_url`, told by front-channel logout."""
    with app.app_context():
        client, _secret = create_client(
            name,
            redirect_uris=[f"{rp_url}/{name}/callback"],
            first_party=True,
            frontchannel_logout_uri=f"{rp_url}/{name}/front",
        )
        db.session.commit()
        return type(
            "RP", (), {"client_id": client.client_id, "redirect_uri": client.redirect_uris[0]}
        )


@pytest.mark.browser
def test_compte_logout_after_two_services_stays_on_the_logged_out_page(
    app, live_server, page, shot
):
    """After Formadist and CPF were opened, "Se déconnecter" on Compte ends on "Vous êtes
    déconnecté" naming both, and stays there once both iframes have answered."""
    make_account(app, EMAIL)
    with serve_wsgi(LogoutRecorder(), free_port()) as rp_url:
        services = [_service(app, name, rp_url) for name in ("Formadist", "CPF")]
        sign_in_with_password(page, live_server, EMAIL, PASSWORD)
        for rp in services:  # each service signs the person in through Compte
            page.goto(authorize_url(live_server, rp, scope="openid"))
            page.wait_for_url(rp.redirect_uri + "?*")
        page.goto(live_server + "/")
        page.get_by_role("button", name="Se déconnecter").click()
        expect(page.locator("#logout-frames-done")).to_be_visible()  # both iframes loaded
        expect(page).to_have_url(live_server + "/logout")
        expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes déconnecté")
        expect(page.locator("ul.logout-services").first.get_by_role("listitem")).to_have_text(
            ["Formadist", "CPF"]
        )
        shot("logged-out")
