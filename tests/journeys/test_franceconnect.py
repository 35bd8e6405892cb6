"""Signing in with FranceConnect in a browser: the State's button on Compte's login page
(accessible name, its "Qu’est-ce que FranceConnect ?" link, the keyboard, a phone, dark
mode), and the journey Formadist → Compte → FranceConnect (a second Compte, as in the demo)
→ back on Formadist, signed in. Screenshots in test-output/<test>/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clients.demo_upstream import CITIZEN, PROVIDER_NAME
from idp.accounts.services import create_account, find_by_email
from idp.core.extensions import db
from idp.federation import providers
from idp.federation.models import UpstreamLink
from idp.oidc.claims import subject_for
from idp.oidc.clients import get_client
from tests.journeys.helpers import url_matching
from tests.support.contrast import text_contrast

pytestmark = pytest.mark.browser

FC_BUTTON = "S’identifier avec FranceConnect"
PASSWORD = "Formation!2026"


def fc_button(page: Page):
    return page.get_by_role("button", name=FC_BUTTON)


def sign_in_upstream(page: Page, upstream: str, shots=None) -> None:
    """On the simulated FranceConnect's login page: the citizen's address and password
    (photographed filled in when `shots` is given), sent with Enter."""
    page.wait_for_url(url_matching(upstream + "/login"))
    expect(page.locator(".brand")).to_have_text("FranceConnect (simulé)")
    page.locator("#identifier").fill(CITIZEN["email"])
    page.locator("#password").fill(CITIZEN["password"])
    if shots:
        shots(page, "franceconnect-login-filled")
    page.locator("#password").press("Enter")


def account_at_compte(app, email: str, given_name: str, family_name: str) -> int:
    with app.app_context():
        account = create_account(
            email=email,
            password=PASSWORD,
            given_name=given_name,
            family_name=family_name,
            confirmed=True,
            terms_version=app.config.get("TERMS_VERSION"),
        )
        db.session.commit()
        return account.id


def test_the_franceconnect_button_on_the_login_page(
    app, live_server, franceconnect, page: Page, shots
):
    """The button is named "S’identifier avec FranceConnect", its link opens
    franceconnect.gouv.fr in a new window and says so, it is reached with Tab (focus
    visible) and Enter leads to FranceConnect; it reads well at 390 px and in dark mode;
    the registration page offers it too; disabled, no button and no "ou"."""
    page.goto(live_server + "/login")
    button = fc_button(page)
    expect(button).to_be_visible()
    link = page.get_by_role("link", name="Qu’est-ce que FranceConnect ?")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("href", "https://franceconnect.gouv.fr/")
    expect(link).to_have_attribute("title", re.compile("nouvelle fenêtre"))
    expect(page.locator(".federation-or")).to_have_text("ou")
    assert text_contrast(button.locator(".fr-connect__brand")) >= 4.5
    shots(page, "login-with-franceconnect")

    page.set_viewport_size({"width": 390, "height": 844})
    box = button.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shots(page, "login-390")
    page.emulate_media(color_scheme="dark")
    assert text_contrast(button.locator(".fr-connect__brand")) >= 4.5
    assert text_contrast(link) >= 4.5
    shots(page, "login-390-dark")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Keyboard: Tab until the button has the focus, then Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("the FranceConnect button is never reached with Tab")
    outline = button.evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline not in ("", "none")
    shots(page, "button-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(url_matching(franceconnect["url"] + "/login"))
    expect(page.locator("h1")).to_have_text("Se connecter")
    shots(page, "franceconnect-login")

    # The registration's first step offers it too.
    page.goto(live_server + "/register")
    expect(page.locator(".federation-intro")).to_contain_text("créez votre compte")
    expect(fc_button(page)).to_be_visible()
    shots(page, "register-with-franceconnect")

    with app.app_context():
        providers.set_enabled(providers.get(PROVIDER_NAME), False)
    page.goto(live_server + "/login")
    expect(page.locator("#password")).to_be_visible()
    expect(fc_button(page)).to_have_count(0)
    expect(page.locator(".federation-or")).to_have_count(0)
    expect(page.get_by_role("link", name="Qu’est-ce que FranceConnect ?")).to_have_count(0)


def test_journey_formadist_then_franceconnect_then_back_signed_in(
    app, stack, franceconnect, page: Page, shots
):
    """Formadist → Compte's login → "S’identifier avec FranceConnect" → the simulated
    FranceConnect's login (the citizen) → back on Formadist, signed in as the Compte account
    linked to that FranceConnect identity (its name shown), without any Compte password."""
    compte, formadist = stack["compte"], stack["formadist"]["url"]
    upstream = franceconnect["url"]
    account_id = account_at_compte(app, "camille.martin@exemple.fr", "Camille", "Martin-Durand")
    with franceconnect["app"].app_context():
        citizen = find_by_email(CITIZEN["email"])
        subject = subject_for(citizen, get_client(franceconnect["client_id"]))
    with app.app_context():
        provider = providers.get(PROVIDER_NAME)
        db.session.add(
            UpstreamLink(provider_id=provider.id, account_id=account_id, subject=subject)
        )
        db.session.commit()
    visited: list[str] = []
    # Every address the browser was sent to, redirects included.
    page.on("request", lambda r: r.is_navigation_request() and visited.append(r.url))

    page.goto(formadist + "/")
    page.wait_for_url(url_matching(compte + "/login"))
    expect(fc_button(page)).to_be_visible()
    shots(page, "compte-login-from-formadist")
    fc_button(page).click()
    sign_in_upstream(page, upstream, shots)
    page.wait_for_url(url_matching(formadist + "/"))
    expect(page.locator("h1")).to_have_text("Mon parcours de formation")
    expect(page.locator(".rp-person")).to_have_text("Camille Martin-Durand")
    shots(page, "formadist-signed-in-through-franceconnect")
    assert any(url.startswith(compte + "/login/with/franceconnect/callback") for url in visited)
    with app.app_context():
        link = db.session.scalar(db.select(UpstreamLink).filter_by(account_id=account_id))
        assert link.last_used_at is not None


def test_journey_first_time_links_the_account_with_its_password(
    app, stack, franceconnect, page: Page, shots
):
    """First FranceConnect sign-in of a person whose Compte account has the same address:
    never linked silently — Compte asks for that account's password, then links it and
    goes on to Formadist, signed in."""
    compte, formadist = stack["compte"], stack["formadist"]["url"]
    account_id = account_at_compte(app, CITIZEN["email"], "Camille", "Martin")

    page.goto(formadist + "/")
    page.wait_for_url(url_matching(compte + "/login"))
    fc_button(page).click()
    sign_in_upstream(page, franceconnect["url"])
    page.wait_for_url(url_matching(compte + "/login/with/franceconnect/link"))
    expect(page.locator("h1")).to_contain_text("existe déjà avec cette adresse")
    shots(page, "link-asks-the-password")
    with app.app_context():
        assert db.session.scalar(db.select(UpstreamLink).filter_by(account_id=account_id)) is None
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(url_matching(formadist + "/"))
    expect(page.locator(".rp-person")).to_have_text("Camille Martin")
    shots(page, "formadist-signed-in-after-linking")
    with app.app_context():
        assert db.session.scalar(db.select(UpstreamLink).filter_by(account_id=account_id))
