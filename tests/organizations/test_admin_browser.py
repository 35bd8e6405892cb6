"""The organisation pages in headless Chromium, as an administrator uses them (each page is
checked by axe-core on the way, tests/support/accessibility.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.accounts import PASSWORD, make_account, make_admin
from tests.support.browser import sign_in_with_password

EMAIL = "ada.admin@example.org"


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False, "ADMIN_REQUIRE_MFA": False}


@pytest.mark.browser
def test_add_an_organization_then_attach_a_person(app, live_server, page, shot):
    """From the menu: a wrong SIRET is told next to its field and kept; corrected, the
    organisation is listed; a person of its domain is shown as belonging to it, then
    attached to it by hand with a population."""
    make_admin(app, EMAIL)
    person = make_account(app, "ivan@numerique.gouv.fr")
    sign_in_with_password(page, live_server, EMAIL, PASSWORD)
    page.goto(live_server + "/admin/")
    menu = page.get_by_role("navigation", name="Menu d’administration")
    menu.get_by_role("link", name="Organisations").click()
    page.get_by_role("link", name="Ajouter une organisation").click()
    page.get_by_label("Nom de l’organisation").fill("DINUM")
    page.get_by_label("SIRET").fill("130 025 265 00014")
    page.get_by_label("Domaines des adresses électroniques").fill("numerique.gouv.fr")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#siret-error")).to_contain_text("Ce SIRET n’existe pas")
    shot("siret-refused")
    page.get_by_label("SIRET").fill("130 025 265 00013")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("row", name="DINUM")).to_contain_text("numerique.gouv.fr")
    shot("organizations")

    page.goto(f"{live_server}/admin/users/{person}")
    section = page.locator("#organisation")
    expect(section).to_contain_text("DINUM (SIRET 13002526500013), selon le domaine")
    section.get_by_label("Organisation", exact=True).select_option(label="DINUM (13002526500013)")
    section.get_by_label("Population").select_option("agent")
    section.get_by_role("button", name="Enregistrer l’organisation").click()
    expect(page.locator("#organisation")).to_contain_text("choisie pour ce compte")
    shot("person")
