"""A sign-in from a browser new to the account is mailed ("Nouvelle connexion à votre
compte"), read back from the real SMTP sink; the same browser signing in again, and the
account's very first sign-in, are not. The device cookie keeps only its digest."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from idp.accounts.models import Account, BrowserSession
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.oidc import maintenance
from tests.support.accounts import PASSWORD, events, login, make_account, post_form, text
from tests.support.devices import CHROME_ANDROID, FIREFOX_WINDOWS, SAFARI_IPHONE, browser
from tests.support.devices import signed_in_browser as sign_in
from tests.support.mail import links_in, mails_to, wait_for_subject

EMAIL = "ivan@example.org"
SECONDARY = "ivan.perso@example.net"
SUBJECT = "Nouvelle connexion"


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


def _new_sign_in_mails(sink, address: str = EMAIL) -> list:
    return [m for m in mails_to(sink, address) if SUBJECT in m.subject]


def _log_out(client) -> None:
    page = text(client.get("/account"))
    assert post_form(client, "/logout", {}, page="/account").status_code == 200, page[:200]


def test_a_second_browser_is_mailed_with_its_name_and_a_link_to_the_sessions_page(app, smtp_sink):
    """First sign-in (laptop): nothing; the phone's first sign-in: one mail saying when (in
    words, the organisation's time), which browser and system, linking to the sessions page."""
    account_id = make_account(app, EMAIL)
    sign_in(app, EMAIL, FIREFOX_WINDOWS)
    sign_in(app, EMAIL, SAFARI_IPHONE)
    mail = wait_for_subject(smtp_sink, EMAIL, SUBJECT)
    assert mail.subject == "Nouvelle connexion à votre compte"
    assert "Mobile Safari 17 sur iOS 17" in mail.text
    assert re.search(r"à \d{1,2}\u00a0h\u00a0\d\d", mail.text)  # "à 22 h 07", unbreakable
    assert f"{app.config['ISSUER']}/account/sessions" in links_in(mail)
    assert "Si ce n'était pas vous, changez tout de suite votre mot de passe" in mail.text
    assert "Lieu approximatif" not in mail.text  # no place database configured
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{app.config["ISSUER"]}/account/sessions"' in html
    assert len(_new_sign_in_mails(smtp_sink)) == 1  # the laptop's first sign-in: none
    assert [e.account_id for e in events(app, "login.new_device")] == [account_id]


def test_the_same_browser_signing_in_again_is_not_mailed(app, smtp_sink):
    """The laptop signs out and in again (its device cookie known): no mail; a third
    browser afterwards is the second and last mail."""
    make_account(app, EMAIL)
    laptop = sign_in(app, EMAIL, FIREFOX_WINDOWS)
    sign_in(app, EMAIL, SAFARI_IPHONE)
    wait_for_subject(smtp_sink, EMAIL, SUBJECT)
    _log_out(laptop)
    assert login(laptop, EMAIL, PASSWORD).status_code == 302
    sign_in(app, EMAIL, CHROME_ANDROID)
    last = wait_for_subject(smtp_sink, EMAIL, SUBJECT, count=2)
    assert "Chrome Mobile 131 sur Android 14" in last.text
    assert len(_new_sign_in_mails(smtp_sink)) == 2


def test_the_browser_is_remembered_after_its_sessions_are_purged(app, smtp_sink):
    """A week after the sessions ended, the purge has run: the laptop signing in again is
    still not mailed (the newest session of each browser is kept, the older ones go)."""
    account_id = make_account(app, EMAIL)
    laptop = sign_in(app, EMAIL, FIREFOX_WINDOWS)
    _log_out(laptop)
    assert login(laptop, EMAIL, PASSWORD).status_code == 302
    _log_out(laptop)
    sign_in(app, EMAIL, SAFARI_IPHONE)
    wait_for_subject(smtp_sink, EMAIL, SUBJECT)
    with app.app_context():
        for row in db.session.scalars(db.select(BrowserSession)):
            row.created_at = row.last_seen_at = row.ended_at = utcnow() - timedelta(days=7)
        db.session.commit()
        maintenance.run()
        kept = db.session.scalars(
            db.select(BrowserSession).where(BrowserSession.account_id == account_id)
        ).all()
        assert len(kept) == 2  # one per browser, not more
    assert login(laptop, EMAIL, PASSWORD).status_code == 302
    sign_in(app, EMAIL, CHROME_ANDROID)
    wait_for_subject(smtp_sink, EMAIL, SUBJECT, count=2)
    assert len(_new_sign_in_mails(smtp_sink)) == 2  # the phone's and the third browser's


def test_a_confirmed_secondary_address_receives_it_too(app, smtp_sink):
    """With a confirmed secondary e-mail, the mail goes to both addresses."""
    account_id = make_account(app, EMAIL)
    with app.app_context():
        row = db.session.get(Account, account_id)
        row.secondary_email, row.secondary_email_confirmed_at = SECONDARY, utcnow()
        db.session.commit()
    sign_in(app, EMAIL, FIREFOX_WINDOWS)
    sign_in(app, EMAIL, SAFARI_IPHONE)
    mail = wait_for_subject(smtp_sink, EMAIL, SUBJECT)
    assert set(mail.recipients) == {EMAIL, SECONDARY}


def test_without_the_setting_nothing_is_mailed_but_the_audit_keeps_it(app, smtp_sink):
    """NEW_DEVICE_MAIL = false: the new browser is audited (login.new_device), not mailed
    (the password change mail, sent after, arrives alone)."""
    app.config["NEW_DEVICE_MAIL"] = False
    account_id = make_account(app, EMAIL)
    sign_in(app, EMAIL, FIREFOX_WINDOWS)
    phone = sign_in(app, EMAIL, SAFARI_IPHONE)
    assert [e.account_id for e in events(app, "login.new_device")] == [account_id]
    data = {"current_password": PASSWORD, "new_password": "Girasole#2027"}
    post_form(phone, "/account/password", {**data, "confirm": data["new_password"]})
    wait_for_subject(smtp_sink, EMAIL, "changé")
    assert _new_sign_in_mails(smtp_sink) == []


def test_the_device_cookie_is_random_long_lived_http_only_and_kept_as_a_digest(app):
    """The sign-in sets compte_device (HttpOnly, SameSite=Lax, a year); the database holds
    its SHA-256 only."""
    account_id = make_account(app, EMAIL)
    client = browser(app)
    response = login(client, EMAIL, PASSWORD)
    header = next(h for h in response.headers.getlist("Set-Cookie") if "compte_device=" in h)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Max-Age=31536000" in header
    value = client.get_cookie("compte_device").value
    assert len(value) >= 32
    with app.app_context():
        row = db.session.scalar(
            db.select(BrowserSession).where(BrowserSession.account_id == account_id)
        )
        assert row.device_hash == secret_digest(value) and value not in row.device_hash
    other = browser(app)
    login(other, EMAIL, PASSWORD)
    assert other.get_cookie("compte_device").value != value
