"""Seed 000 in a browser: from Formadist to a new Compte account, then one login for
every service and one logout for all of them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.journeys.helpers import (
    confirm_by_mail,
    sign_out_everywhere,
    solve_captcha,
    submit,
    url_matching,
)

pytestmark = pytest.mark.browser

EMAIL = "pierre.ivan@example.org"
PASSWORD = "Formation!2026"


def fill_registration(page: Page) -> None:
    page.locator("input[name=civility][value=m]").check()
    page.locator("input[name=given_name]").fill("Ivan")
    page.locator("input[name=family_name]").fill("Pierre")
    page.locator("input[name=birthdate]").fill("1985-04-12")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator("input[name=email_confirm]").fill(EMAIL)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password_confirm]").fill(PASSWORD)
    page.locator("input[name=accept_terms]").check()


def test_seed_000_register_from_formadist_then_single_sign_on_and_logout(
    page: Page, stack, shots, smtp_sink
):
    """Formadist → Compte → "Créer un compte" → mail → confirm → login (e-mail filled) →
    straight back to Formadist signed in (never via "Mes services"), launcher lists cpf
    and ecommunautes → cpf without password → logout from ecommunautes logs formadist and
    cpf out too."""
    compte, formadist = stack["compte"], stack["formadist"]["url"]
    cpf, ecommunautes = stack["cpf"]["url"], stack["ecommunautes"]["url"]
    logins: list[str] = []
    visited: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: frame.url.startswith(compte + "/login") and logins.append(frame.url),
    )
    page.on("framenavigated", lambda frame: visited.append(frame.url))

    page.goto(formadist + "/")
    page.wait_for_url(url_matching(compte + "/login"))
    shots(page, "compte-login-from-formadist", docs="compte-login")

    create = page.locator("main").get_by_role("link", name="Créer un compte")
    expect(create).to_be_visible()
    expect(create).to_have_class(re.compile(r"\bbutton\b"))  # a real button, not a hidden link
    create.click()
    page.wait_for_url(url_matching(compte + "/register"))
    # The way back to Formadist (the pending authorization request) goes along.
    expect(page.locator("input[name=next]")).to_have_value(re.compile(r"^/oauth/authorize\?"))
    shots(page, "registration-form")
    fill_registration(page)
    solve_captcha(page, stack["captcha"])
    shots(page, "registration-filled")
    submit(page)
    expect(page.locator("main")).to_contain_text(EMAIL)
    shots(page, "check-your-mailbox")

    mail = confirm_by_mail(page, smtp_sink, EMAIL)
    assert "Bonjour Ivan" in mail
    page.wait_for_url(url_matching(compte + "/login"))
    expect(page.locator("input[name=identifier]")).to_have_value(EMAIL)
    shots(page, "login-after-confirmation")
    page.locator("input[name=password]").fill(PASSWORD)
    submit(page)
    # Straight back to Formadist (the confirmation link carried `next`), never via
    # "Mes services".
    page.wait_for_url(url_matching(formadist + "/"))
    mes_services = re.compile("^" + re.escape(compte) + r"/?(\?.*)?$")
    assert not any(mes_services.match(url) for url in visited), visited
    expect(page.locator("h1")).to_have_text("Mon parcours de formation")
    expect(page.locator(".rp-person")).to_have_text("Ivan Pierre")
    shots(page, "formadist-signed-in")

    menu = page.get_by_role("navigation", name="Mes services")
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name=re.compile("Mon Compte Formation"))).to_be_visible()
    expect(menu.get_by_role("link", name=re.compile("E-communautés"))).to_be_visible()
    expect(menu.locator("[aria-current=page]")).to_contain_text("Formadist")
    shots(page, "formadist-launcher-open", docs="formadist")

    logins_before_cpf = len(logins)
    menu.get_by_role("link", name=re.compile("Mon Compte Formation")).click()
    page.wait_for_url(url_matching(cpf + "/"))
    expect(page.locator("h1")).to_have_text("Synthèse de votre compte")
    assert len(logins) == logins_before_cpf, "cpf must not ask for the password again"
    shots(page, "cpf-signed-in-without-password")

    page.goto(ecommunautes + "/")
    expect(page.locator("h1")).to_have_text("Mes communautés")
    shots(page, "ecommunautes-signed-in", docs="ecommunautes")
    sign_out_everywhere(page, ecommunautes)
    expect(page.locator("h1")).to_have_text("Vous êtes déconnecté")
    shots(page, "ecommunautes-logged-out")

    for service in (formadist, cpf):
        page.goto(service + "/")
        page.wait_for_url(url_matching(compte + "/login"))
        expect(page.locator("input[name=password]")).to_be_visible()
    shots(page, "cpf-asks-to-log-in-again")
