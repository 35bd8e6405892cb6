"""Consent: asked once per client and scopes, skipped for first-party clients,
withdrawn from "Applications connectées"."""

from __future__ import annotations

from idp.core.extensions import db
from tests.oidc.conftest import csrf_of
from tests.oidc.helpers import (
    browser_tokens,
    userinfo,
)


def test_consent_is_remembered_and_skipped_for_first_party(live_server, browser, person, make_rp):
    """Consent is asked once per client and scopes, again for new scopes, never for
    first-party clients; prompt=consent asks again."""
    rp = make_rp()
    browser_tokens(live_server, browser, person, rp, scope="openid email")
    browser_tokens(live_server, browser, person, rp, scope="openid email")
    assert browser.consents == 1
    browser_tokens(live_server, browser, person, rp, scope="openid email profile")
    assert browser.consents == 2
    browser_tokens(live_server, browser, person, rp, scope="openid email", prompt="consent")
    assert browser.consents == 3
    first = make_rp("Mon Compte Formation", first_party=True)
    browser_tokens(live_server, browser, person, first)
    assert browser.consents == 3


def test_connected_apps_can_be_revoked(app, live_server, browser, person, rp):
    """ "Applications connectées" lists the consent; "Retirer l'accès" revokes it and the
    client's tokens for that person."""
    tokens = browser_tokens(live_server, browser, person, rp)
    page = browser.get("/account")
    assert page.status_code == 200
    assert "Applications connectées" in page.text and "Formadist" in page.text
    done = browser.post(
        f"/account/applications/{rp.client_id}/revoke", data={"csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 302
    assert userinfo(live_server, tokens["access_token"]).status_code == 401
    with app.app_context():
        from idp.audit.models import AuditEvent

        types = set(db.session.scalars(db.select(AuditEvent.type)))
        assert {"consent.granted", "consent.revoked", "token.issued"} <= types
    browser_tokens(live_server, browser, person, rp)
    assert browser.consents == 2
