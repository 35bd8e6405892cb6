"""Seed 004 in a browser (preset cpf): the 4-step wizard, then NIR + password login
straight into the CPF dashboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.helpers import confirm_by_mail, solve_captcha, submit, url_matching

pytestmark = pytest.mark.browser

EMAIL = "claire.dupont@example.org"
NIR = "2 85 04 75 116 001 90"  # key: 97 - (2850475116001 mod 97) = 90
STRONG = "PaulnET1547PAUL&!aulet14"


@pytest.fixture
def settings(settings: dict) -> dict:
    return {**settings, "PRESET": "cpf"}


def test_seed_004_wizard_then_nir_login_into_the_dashboard(page: Page, stack, shots, smtp_sink):
    """Terms → identity with NIR and captcha (image, audio, renew) → password (lapin145
    refused, a strong one accepted) → 15-day notice → mail → NIR login → CPF dashboard."""
    compte, cpf = stack["compte"], stack["cpf"]["url"]
    page.goto(cpf + "/")
    page.wait_for_url(url_matching(compte + "/login"))
    shots(page, "compte-login-nir")
    page.locator("main").get_by_role("link", name="Créer un compte").click()

    expect(page.locator(".register-form input[name=accept_terms]")).to_be_visible()
    shots(page, "step-1-terms")
    page.locator("input[name=accept_terms]").check()
    submit(page)

    expect(page.locator("input[name=nir]")).to_be_visible()
    expect(page.locator("img.captcha-image")).to_be_visible()
    expect(page.get_by_role("link", name="Écouter la version sonore")).to_have_attribute(
        "href", re.compile(r"\.wav$")
    )
    expect(page.get_by_role("button", name="Nouveaux caractères")).to_be_visible()
    page.locator("input[name=nir]").fill(NIR)
    page.locator("input[name=civility][value=mme]").check()
    page.locator("input[name=given_name]").fill("Claire")
    page.locator("input[name=family_name]").fill("Dupont")
    page.locator("input[name=birthdate]").fill("1985-04-12")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=email_confirm]").fill(EMAIL)
    solve_captcha(page, stack["captcha"])
    shots(page, "step-2-identity")
    submit(page)

    expect(page.locator("input[name=password]")).to_be_visible()
    page.locator("input[name=password]").fill("lapin145")
    page.locator("input[name=password_confirm]").fill("lapin145")
    submit(page)
    expect(page.locator("main")).to_contain_text("Le mot de passe ne respecte pas")
    shots(page, "step-3-lapin145-refused")
    page.locator("input[name=password]").fill(STRONG)
    page.locator("input[name=password_confirm]").fill(STRONG)
    submit(page)

    expect(page.locator("main")).to_contain_text("15 jours")
    shots(page, "step-4-fifteen-days")

    confirm_by_mail(page, smtp_sink, EMAIL)
    page.wait_for_url(url_matching(compte + "/login"))
    shots(page, "login-after-confirmation")
    page.locator("input[name=identifier]").fill(NIR)
    page.locator("input[name=password]").fill(STRONG)
    submit(page)
    if not page.url.startswith(cpf):
        page.wait_for_url(url_matching(compte + "/"))
        shots(page, "compte-mes-services")
        page.locator("main").get_by_role(
            "link", name=re.compile("Mon Compte Formation")
        ).first.click()
    page.wait_for_url(url_matching(cpf + "/"))
    expect(page.locator("h1")).to_have_text("Synthèse de votre compte")
    for text in ("Heures CPF disponibles", "Heures DIF non rattachées", "Mes délégations"):
        expect(page.locator("main")).to_contain_text(text)
    expect(page.locator("main")).to_contain_text(EMAIL)
    shots(page, "cpf-dashboard", docs="cpf")
