"""The client pages in a real browser (headless Chromium through Playwright): an admin
logs in through the login page, creates an application, copies its secret once, edits
it, and deletes it after confirmation. Screenshots go to test-output/<test>/."""

from __future__ import annotations

import os
import re

import pytest

from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.oidc.clients import get_client
from tests.admin.conftest import ADMIN_EMAIL, PASSWORD
from tests.support.factors import give_totp

CHROMIUM = os.environ.get("COMPTE_TEST_CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.browser


def test_admin_manages_a_client_in_a_browser(app, live_server, admin_id, page, output_dir):
    """Login → Applications → create (bad URI refused, then fixed) → secret shown once →
    edit page without the secret → delete after confirmation."""
    step = iter(range(1, 100))

    def shot(name: str) -> None:
        page.screenshot(path=str(output_dir / f"{next(step):02d}-{name}.png"), full_page=True)

    authenticator = give_totp(app, admin_id)  # administrators sign in with two factors
    page.goto(f"{live_server}/admin/clients")
    assert "/login" in page.url  # anonymous: sent to the login page first
    page.fill("#identifier", ADMIN_EMAIL)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert page.url.endswith("/login/verify")
    page.fill("#code", authenticator.now())
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert page.url.endswith("/admin/clients")
    shot("applications")

    page.click("text=Ajouter une application")
    page.fill("#name", "Formadist")
    page.fill("#redirect_uris", "http://formadist.example/callback#top")
    page.fill("#launcher_name", "Formadist")
    page.fill("#launcher_url", "http://127.0.0.1:5001/")
    page.click("#submit")
    shot("bad-redirect-uri")
    assert "fragment" in page.inner_text("#redirect_uris-error")
    assert page.input_value("#launcher_name") == "Formadist"  # kept

    page.fill("#redirect_uris", "http://127.0.0.1:5001/auth/callback")
    page.click("#submit")
    shot("secret-once")
    secret = page.input_value("#secret")
    client_id = page.inner_text("dl.facts dd code")
    with app.app_context():
        assert get_client(client_id).client_secret_hash == secret_digest(secret)

    page.click("text=J’ai copié le secret")
    shot("edit")
    assert secret not in page.content()
    page.check("#first_party")
    page.click("#submit")
    assert "enregistrés" in page.inner_text("main")
    with app.app_context():
        assert get_client(client_id).first_party is True

    page.click("text=Supprimer…")
    shot("confirm-delete")
    page.click("text=Oui, supprimer définitivement")
    shot("deleted")
    assert re.search("supprimée", page.inner_text("main"))
    with app.app_context():
        assert get_client(client_id) is None
        db.session.remove()
