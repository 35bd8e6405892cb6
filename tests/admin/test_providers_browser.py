"""The identity provider pages in a real browser (headless Chromium through Playwright): an
administrator adds FranceConnect with its kind's defaults, reads the addresses to register
at FranceConnect, edits it and disables it. Every page is checked by axe (1280 and 390 px);
screenshots go to test-output/<test>/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from idp.federation import providers
from tests.admin.conftest import ADMIN_EMAIL, PASSWORD
from tests.support.factors import give_totp

pytestmark = pytest.mark.browser


@pytest.fixture
def backend() -> str:
    """Pages, not the database: SQLite only (tests/admin/test_providers_admin.py runs the
    same rules on PostgreSQL too)."""
    return "sqlite"


def test_admin_adds_franceconnect_edits_and_disables_it(app, live_server, admin_id, page, shot):
    """Login (two factors) → Fournisseurs d’identité → Ajouter → FranceConnect + Préremplir
    → the defaults filled in → saved with Enter → the redirect_uri to register → edit the label, the
    secret left empty and kept → Désactiver."""
    authenticator = give_totp(app, admin_id)
    page.goto(f"{live_server}/admin/providers")
    page.fill("#identifier", ADMIN_EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/login/verify")
    page.fill("#code", authenticator.now())
    page.locator("#code").press("Enter")
    page.wait_for_url(f"{live_server}/admin/providers")
    expect(page.get_by_role("navigation", name="Menu d’administration")).to_contain_text(
        "Fournisseurs d’identité"
    )
    shot("providers-empty")

    page.get_by_role("link", name="Ajouter un fournisseur").click()
    page.get_by_label("Type de fournisseur").select_option("franceconnect")
    page.fill("#name", "franceconnect")
    page.get_by_role("button", name="Préremplir").click()
    expect(page.locator("#label")).to_have_value("FranceConnect")
    expect(page.locator("#issuer")).to_have_value("https://oidc.franceconnect.gouv.fr/api/v2")
    expect(page.locator("#acr_values")).to_have_value("eidas1")
    expect(page.locator("#name")).to_have_value("franceconnect")  # what was typed, kept
    shot("prefilled")

    page.fill("#issuer", "https://fcp-low.integ01.dev-franceconnect.fr/api/v2")
    page.fill("#client_id", "compte-integration")
    page.fill("#client_secret", "integration-secret")
    page.locator("#client_secret").press("Enter")  # Enter saves (it does not "Préremplir")
    page.wait_for_url("**/admin/providers/franceconnect/addresses")
    callback = f"{app.config['ISSUER']}/login/with/franceconnect/callback"
    expect(page.get_by_label("Adresse de retour (redirect_uri)")).to_have_value(callback)
    expect(page.get_by_label("Adresse de retour (redirect_uri)")).to_have_attribute("readonly", "")
    shot("addresses-to-register")

    page.get_by_role("link", name="Voir le fournisseur").click()
    assert "integration-secret" not in page.content()
    expect(page.locator("#client_secret")).to_have_value("")
    page.fill("#label", "FranceConnect (intégration)")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/addresses")
    expect(page.locator("main")).to_contain_text("sont enregistrés")
    with app.app_context():
        provider = providers.get("franceconnect")
        assert provider.label == "FranceConnect (intégration)"
        assert providers.client_secret(provider) == "integration-secret"

    page.get_by_role("link", name="Voir le fournisseur").click()
    page.get_by_role("button", name="Désactiver").click()
    expect(page.locator("main")).to_contain_text("n’est plus proposé à la connexion")
    shot("disabled")
    page.get_by_role("link", name="Fournisseurs d’identité").first.click()
    expect(page.locator("tbody tr").first).to_contain_text("désactivé")
    shot("providers-list")
    with app.app_context():
        assert providers.get("franceconnect").enabled is False
