"""Seed 000, page 3: someone who lost the invitation link types the service's address."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from idp.accounts.services import create_account
from idp.core.extensions import db
from tests.journeys.helpers import submit, url_matching

pytestmark = pytest.mark.browser


def test_typing_the_service_address_leads_to_login_and_back(page: Page, stack, shots):
    """Typing Formadist's address → Compte's login → back on Formadist after logging in
    (an empty path, nothing invented); Compte's own home then shows the service tiles."""
    with stack["app"].app_context():
        create_account(
            email="agent@example.org",
            password="Formation!2026",
            given_name="Léa",
            family_name="Martin",
            confirmed=True,
        )
        db.session.commit()
    compte, formadist = stack["compte"], stack["formadist"]["url"]
    page.goto(formadist)
    page.wait_for_url(url_matching(compte + "/login"))
    shots(page, "compte-login")
    page.locator("input[name=identifier]").fill("agent@example.org")
    page.locator("input[name=password]").fill("Formation!2026")
    submit(page)
    page.wait_for_url(url_matching(formadist + "/"))
    expect(page.locator("h1")).to_have_text("Mon parcours de formation")
    expect(page.locator(".rp-person")).to_have_text("Léa Martin")
    # A new account: no sample sessions invented, the path says how sessions arrive.
    expect(page.locator("main")).to_contain_text("Vous n'êtes inscrit à aucune session")
    shots(page, "formadist-parcours")
    page.goto(compte + "/")  # Compte itself: "Mes services", the tiles of every service
    expect(page.locator("main").get_by_role("link", name="Formadist").first).to_be_visible()
    shots(page, "compte-mes-services", docs="compte-mes-services")
