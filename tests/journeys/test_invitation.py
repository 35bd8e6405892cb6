"""Seed 000's first step in a browser: an admin invites a person to Formadist; the person
opens the mail, finds the registration pre-filled (e-mail locked), confirms the address,
logs in once and lands on Formadist."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

import idp.accounts.views.data  # noqa: F401  (routes on the accounts blueprint; see report)
from idp.accounts.services import create_account, find_by_email
from idp.core.extensions import db
from tests.journeys.helpers import confirm_by_mail, solve_captcha, submit, url_matching
from tests.support.factors import give_totp
from tests.support.mail import links_in, wait_for_mail

pytestmark = pytest.mark.browser

ADMIN = "admin@compte.example"
ADMIN_PASSWORD = "Admin-Compte-2026!"
EMAIL = "ivan.pierre@example.org"
PASSWORD = "Formation!2026"


@pytest.fixture
def settings(settings):
    # Flask-Mail suppresses sending when TESTING is on: the journey reads the real sink.
    return {**settings, "MAIL_SUPPRESS_SEND": False}


def _log_in(page: Page, compte: str, email: str, password: str, authenticator=None) -> None:
    """Sign in through the login page; with `authenticator` (an administrator's app), type
    its code at the second step."""
    page.goto(compte + "/login")
    page.locator("input[name=identifier]").fill(email)
    page.locator("input[name=password]").fill(password)
    submit(page)
    if authenticator is not None:
        page.wait_for_url(url_matching(compte + "/login/verify"))
        page.locator("input[name=code]").fill(authenticator.now())
        submit(page)


def test_invitation_to_formadist_ends_on_formadist(page: Page, chromium, stack, shots, smtp_sink):
    """Invite (admin page) → mail → pre-filled registration → confirmation → Formadist."""
    app, compte = stack["app"], stack["compte"]
    formadist = stack["formadist"]["url"]
    client_id = stack["formadist"]["app"].config["CLIENT_ID"]
    with app.app_context():
        admin_account = create_account(
            email=ADMIN,
            password=ADMIN_PASSWORD,
            given_name="Ada",
            family_name="Admin",
            confirmed=True,
            terms_version=app.config["TERMS_VERSION"],
        )
        admin_account.is_admin = True
        db.session.commit()
        admin_id = admin_account.id
    authenticator = give_totp(app, admin_id)  # administrators sign in with two factors

    # The organisation's administrator sends the invitation from the admin pages.
    admin = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    admin_page = admin.new_page()
    try:
        _log_in(admin_page, compte, ADMIN, ADMIN_PASSWORD, authenticator)
        admin_page.goto(compte + "/admin/invitations/new")
        admin_page.locator("input[name=email]").fill(EMAIL)
        admin_page.locator("select[name=client_id]").select_option(client_id)
        admin_page.locator("input[name=civility][value=m]").check()
        admin_page.locator("input[name=given_name]").fill("Ivan")
        admin_page.locator("input[name=family_name]").fill("Pierre")
        shots(admin_page, "admin-new-invitation")
        admin_page.get_by_role("button", name="Envoyer l'invitation").click()
        expect(admin_page.locator("main")).to_contain_text(f"Invitation envoyée à {EMAIL}")
        expect(admin_page.locator("main table")).to_contain_text("en attente")
        shots(admin_page, "admin-invitations-list")
    finally:
        admin.close()

    # The person reads the mail: it names the service and links to Compte.
    mail = wait_for_mail(smtp_sink, EMAIL, timeout=20)
    assert "Formadist" in mail.subject and "Bonjour Ivan" in mail.text
    link = next(u for u in links_in(mail) if "/invitation/" in u)
    assert link.startswith(compte)
    page.goto(link)
    page.wait_for_url(url_matching(compte + "/register"))
    email_field = page.locator("input[name=email]")
    expect(email_field).to_have_value(EMAIL)
    assert email_field.get_attribute("readonly") is not None
    expect(page.locator("input[name=given_name]")).to_have_value("Ivan")
    expect(page.locator("input[name=family_name]")).to_have_value("Pierre")
    expect(page.locator("main")).to_contain_text("Formadist")
    shots(page, "registration-prefilled")

    page.locator("input[name=birthdate]").fill("1985-04-12")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password_confirm]").fill(PASSWORD)
    page.locator("input[name=accept_terms]").check()
    solve_captcha(page, stack["captcha"])
    shots(page, "registration-filled")
    submit(page)
    expect(page.locator("main")).to_contain_text(EMAIL)
    shots(page, "check-your-mailbox")

    confirm_by_mail(page, smtp_sink, EMAIL)
    page.wait_for_url(url_matching(compte + "/login"))
    expect(page.locator("input[name=identifier]")).to_have_value(EMAIL)
    shots(page, "login-after-confirmation")
    page.locator("input[name=password]").fill(PASSWORD)
    submit(page)

    # Straight to Formadist, signed in (no detour through "Mes services").
    page.wait_for_url(url_matching(formadist), timeout=20_000)
    page.wait_for_load_state("networkidle")
    expect(page.locator("body")).to_contain_text(re.compile("Ivan"))
    shots(page, "formadist-signed-in")
    with app.app_context():
        from idp.admin.models import Invitation

        invitation = db.session.scalar(db.select(Invitation).where(Invitation.email == EMAIL))
        assert invitation.status() == "accepted" and invitation.account_id is not None


def test_admin_people_pages_and_my_data_in_a_browser(page: Page, chromium, stack, shots):
    """An admin finds a person, locks and unlocks them, reads the audit log; the person
    sees their activity and can download their data from the profile."""
    app, compte = stack["app"], stack["compte"]
    with app.app_context():
        for email, given, admin in ((ADMIN, "Ada", True), (EMAIL, "Ivan", False)):
            create_account(
                email=email,
                password=ADMIN_PASSWORD if admin else PASSWORD,
                given_name=given,
                family_name="Pierre",
                confirmed=True,
                terms_version=app.config["TERMS_VERSION"],
            ).is_admin = admin
        db.session.commit()
        admin_id = find_by_email(ADMIN).id
    authenticator = give_totp(app, admin_id)  # administrators sign in with two factors

    # The person logs in and opens their data page from the profile.
    _log_in(page, compte, EMAIL, PASSWORD)
    page.goto(compte + "/account")
    shots(page, "profile")
    page.goto(compte + "/account/data")
    expect(page.locator("main")).to_contain_text("Connexion réussie")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données (JSON)").click()
    assert download.value.suggested_filename.endswith(".json")
    shots(page, "my-data")

    admin = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    admin_page = admin.new_page()
    try:
        _log_in(admin_page, compte, ADMIN, ADMIN_PASSWORD, authenticator)
        admin_page.goto(compte + "/admin/users")
        admin_page.get_by_label("Nom, courriel ou numéro de sécurité sociale").fill("ivan")
        admin_page.get_by_role("button", name="Rechercher").click()
        shots(admin_page, "admin-users-search")
        admin_page.get_by_role("link", name=re.compile("PIERRE Ivan")).click()
        expect(admin_page.locator("main")).to_contain_text("Connexion réussie")
        shots(admin_page, "admin-user")
        admin_page.get_by_role("button", name=re.compile("Verrouiller")).click()
        expect(admin_page.locator("main")).to_contain_text("verrouillé depuis")
        shots(admin_page, "admin-user-locked")
        admin_page.get_by_role("button", name="Déverrouiller").click()
        admin_page.goto(compte + "/admin/audit")
        admin_page.get_by_label("Compte (courriel)").fill(EMAIL)
        admin_page.get_by_role("button", name="Filtrer").click()
        expect(admin_page).to_have_url(re.compile(r"/admin/audit\?account="))
        # Ivan's five events only: login, export, his sessions ended by the lock, locked,
        # unlocked (not the admin's login).
        expect(admin_page.locator("main")).to_contain_text("5 événements")
        expect(admin_page.locator("main table")).to_contain_text(
            "Compte verrouillé par un administrateur"
        )
        shots(admin_page, "admin-audit-filtered")
    finally:
        admin.close()

    # The lock ended the person's session.
    page.goto(compte + "/account")
    page.wait_for_url(url_matching(compte + "/login"))

    # Back in, the person deletes their account from the data page.
    _log_in(page, compte, EMAIL, PASSWORD)
    page.goto(compte + "/account/data")
    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_label(re.compile("Je comprends que mon compte")).check()
    shots(page, "delete-my-account")
    page.get_by_role("button", name="Supprimer mon compte").click()
    expect(page.locator("main")).to_contain_text("Votre compte et vos données ont été supprimés")
    shots(page, "account-deleted")
    _log_in(page, compte, EMAIL, PASSWORD)
    expect(page.locator("main")).to_contain_text("Identifiant ou mot de passe incorrect")
