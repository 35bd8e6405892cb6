"""Sign-in codes by e-mail (EMAIL_CODE_FACTOR): turned on and off in "Sécurité", sent
through the real SMTP sink, single use, short-lived, throttled."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from idp.accounts.factors import email_code
from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.mail.worker import ensure_started
from tests.support.accounts import PASSWORD, events, login, make_account, post_form
from tests.support.factors import MFA, enrol_totp, recovery_codes_on, seen
from tests.support.forms import csrf_of
from tests.support.mail import mails_to, wait_for_mail
from tests.support.sessions import signed_in

EMAIL = "ivan@example.org"
PAGE = "/account/security/email"


@pytest.fixture
def settings(settings):
    return {**settings, "EMAIL_CODE_FACTOR": True}


def _turned_on(app, **fields) -> int:
    """An account that receives sign-in codes by e-mail."""
    account_id = make_account(app, **fields)
    with app.app_context():
        email_code.enable(db.session.get(Account, account_id))
        db.session.commit()
    return account_id


def _send(app, account_id: int) -> int:
    ensure_started(app)  # the mail worker a serving process starts at its first request
    with app.test_request_context():
        return email_code.send(db.session.get(Account, account_id))


def _verify(app, account_id: int, code: str) -> bool:
    with app.app_context():
        accepted = email_code.verify(db.session.get(Account, account_id), code)
        db.session.commit()
        return accepted


def _code_in(mail) -> str:
    found = re.search(r"^ +(\d{6})\s*$", mail.text, re.MULTILINE)
    assert found, mail.text
    return found.group(1)


def _clock(monkeypatch, seconds: float) -> None:
    """The codes' clock moves `seconds` ahead of now."""
    later = utcnow() + timedelta(seconds=seconds)
    monkeypatch.setattr(email_code, "utcnow", lambda: later)


def test_a_code_is_mailed_and_works_once(app, smtp_sink):
    """The mail (through real SMTP) holds 6 digits, says for how long and what to do when
    it was not you; the code is accepted once; its sending is recorded."""
    account_id = _turned_on(app)
    assert _send(app, account_id) == 0
    mail = wait_for_mail(smtp_sink, EMAIL)
    assert mail.message["Subject"] == "Votre code de connexion à Mon Compte CNFPT"
    assert "Ce code est valable 10 minutes" in mail.text
    assert "Si vous n'avez pas essayé de vous connecter" in mail.text
    code = _code_in(mail)
    assert code in mail.message.get_body(preferencelist=("html",)).get_content()
    assert not _verify(app, account_id, f"{(int(code) + 1) % 10**6:06d}")
    assert _verify(app, account_id, f"{code[:3]} {code[3:]}")
    assert not _verify(app, account_id, code)
    assert len(events(app, "factor.email_sent")) == 1
    with app.app_context():
        stored = db.session.scalar(db.select(email_code.EmailCode.code_hash))
    assert code not in stored


def test_a_sign_in_with_a_code_by_email_says_mail_in_its_amr(app, client, smtp_sink):
    """Password, then a code received by e-mail: signed in, the session's amr is pwd, mail
    (one value in RFC 8176 and ProConnect alike), mfa."""
    _turned_on(app)
    ensure_started(app)
    assert login(client, EMAIL, PASSWORD).headers["Location"] == "/login/verify"
    page = client.get("/login/verify?method=email")
    sent = client.post("/login/verify/email", data={"csrf_token": csrf_of(seen(page))})
    assert "Un code vient de vous être envoyé par courriel" in seen(sent)
    code = _code_in(wait_for_mail(smtp_sink, EMAIL))
    data = {"csrf_token": csrf_of(seen(sent)), "method": "email", "code": code}
    done = client.post("/login/verify?method=email", data=data)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert session["amr"] == ["pwd", "mail", "mfa"]


def test_a_code_goes_to_both_addresses_once_a_secondary_one_is_confirmed(app, smtp_sink):
    """With a confirmed secondary address, the code is sent to it as well."""
    account_id = _turned_on(app)
    with app.app_context():
        account = db.session.get(Account, account_id)
        account.secondary_email = "ivan.perso@example.net"
        account.secondary_email_confirmed_at = utcnow()
        db.session.commit()
    _send(app, account_id)
    recipients = wait_for_mail(smtp_sink, EMAIL).recipients
    assert sorted(recipients) == sorted([EMAIL, "ivan.perso@example.net"])


def test_a_code_expires(app, smtp_sink, monkeypatch):
    """After EMAIL_CODE_LIFETIME seconds the code is refused."""
    account_id = _turned_on(app)
    _send(app, account_id)
    code = _code_in(wait_for_mail(smtp_sink, EMAIL))
    _clock(monkeypatch, app.config["EMAIL_CODE_LIFETIME"] + 1)
    assert not _verify(app, account_id, code)


def test_only_the_latest_code_counts(app, smtp_sink, monkeypatch):
    """A new code retires the one sent before it."""
    account_id = _turned_on(app)
    _send(app, account_id)
    first = _code_in(wait_for_mail(smtp_sink, EMAIL))
    _clock(monkeypatch, 61)
    assert _send(app, account_id) == 0
    second = _code_in(wait_for_mail(smtp_sink, EMAIL, count=2))
    if first != second:
        assert not _verify(app, account_id, first)
    assert _verify(app, account_id, second)


def test_sending_is_throttled(app, smtp_sink, monkeypatch):
    """A new code within EMAIL_CODE_RESEND_DELAY is not sent: the seconds to wait are
    returned; after the delay it is; past EMAIL_CODE_HOURLY_LIMIT in an hour, the wait
    lasts until the oldest leaves the hour."""
    account_id = _turned_on(app)
    assert _send(app, account_id) == 0
    assert 55 <= _send(app, account_id) <= 60
    for n in range(1, app.config["EMAIL_CODE_HOURLY_LIMIT"]):
        _clock(monkeypatch, 61 * n)
        assert _send(app, account_id) == 0
    _clock(monkeypatch, 61 * app.config["EMAIL_CODE_HOURLY_LIMIT"])
    wait = _send(app, account_id)
    assert 3600 - 61 * 5 - 5 <= wait <= 3600 - 61 * 5
    wait_for_mail(smtp_sink, EMAIL, count=5)
    assert len(mails_to(smtp_sink, EMAIL)) == 5
    assert len(events(app, "factor.email_sent")) == 5


def test_turning_codes_on_and_off_is_mailed_and_recorded(app, smtp_sink):
    """ "Sécurité" offers the codes; turning them on (a first factor) shows new recovery
    codes; turning them off forgets the codes sent; each change is recorded and mailed."""
    account_id = make_account(app)
    client = signed_in(app, account_id)
    assert "Recevoir un code par courriel" in seen(client.get("/account/security"))
    on = post_form(client, PAGE, {"state": "on"})
    assert len(recovery_codes_on(seen(on))) == 10
    with app.app_context():
        assert email_code.is_enrolled(db.session.get(Account, account_id))
    assert "Activé." in seen(client.get("/account/security"))
    assert len(events(app, "factor.email_enabled")) == 1
    assert "codes de connexion par courriel activés" in wait_for_mail(smtp_sink, EMAIL).text
    _send(app, account_id)
    code = _code_in(wait_for_mail(smtp_sink, EMAIL, count=2))

    client = signed_in(app, account_id, amr=MFA)
    off = post_form(client, PAGE, {"state": "off"}, follow_redirects=True)
    assert "Les codes de connexion par courriel sont désactivés." in seen(off)
    assert len(events(app, "factor.email_disabled")) == 1
    assert "désactivés" in wait_for_mail(smtp_sink, EMAIL, count=3).text
    assert not _verify(app, account_id, code)
    again = post_form(client, PAGE, {"state": "off"}, follow_redirects=True)
    assert len(events(app, "factor.email_disabled")) == 1  # sent twice: no second change
    assert again.status_code == 200


def test_turning_codes_on_asks_for_a_second_factor_first(app):
    """With an authenticator app and a session opened with the password alone, the page
    sends to the second-factor step first; nothing changes meanwhile."""
    account_id = make_account(app)
    enrol_totp(app, account_id)
    client = signed_in(app, account_id)
    response = client.get(PAGE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/verify")
    with client.session_transaction() as session:
        assert session["second_factor"]["next"] == PAGE
    posted = post_form(client, PAGE, {"state": "on"}, page="/account")
    assert posted.headers["Location"].endswith("/login/verify")
    assert not events(app, "factor.email_enabled")


def test_everything_is_off_when_the_setting_is(app, smtp_sink):
    """EMAIL_CODE_FACTOR false: no page, nothing on "Sécurité", and a person who had
    turned codes on has no such factor."""
    account_id = _turned_on(app)
    app.config["EMAIL_CODE_FACTOR"] = False
    client = signed_in(app, account_id)
    assert client.get(PAGE).status_code == 404
    assert "Recevoir un code par courriel" not in seen(client.get("/account/security"))
    with app.app_context():
        assert not email_code.is_enrolled(db.session.get(Account, account_id))
    assert not _verify(app, account_id, "123456")


def test_presets_keep_codes_by_email_off_except_the_demo():
    """cnfpt and cpf leave EMAIL_CODE_FACTOR off; the demo turns it on."""
    from idp.core.config import load_settings

    assert load_settings({}, {"PRESET": "cnfpt"})["EMAIL_CODE_FACTOR"] is False
    assert load_settings({}, {"PRESET": "cpf"})["EMAIL_CODE_FACTOR"] is False
    assert load_settings({}, {"PRESET": "demo"})["EMAIL_CODE_FACTOR"] is True


def test_the_purge_removes_codes_an_hour_past_expiry(app, smtp_sink):
    """`compte accounts purge` drops the codes that expired over an hour ago, not the
    ones the throttle still counts."""
    from idp.accounts import maintenance

    account_id = _turned_on(app)
    _send(app, account_id)
    with app.app_context():
        assert maintenance.run(utcnow() + timedelta(minutes=30))["email_codes"] == 0
        assert maintenance.run(utcnow() + timedelta(hours=2))["email_codes"] == 1
