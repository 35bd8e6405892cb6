"""Authenticator app (TOTP): enrolment through the pages, codes accepted within one time
step, replays refused, removal; the secret sealed and never in a log."""

from __future__ import annotations

import logging
import re

import pyotp
import sqlalchemy as sa

from idp.accounts.factors import totp
from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import unseal
from tests.support.accounts import events, make_account, post_form
from tests.support.factors import (
    MFA,
    code_at,
    enrol_totp,
    freeze_totp_clock,
    recovery_codes_on,
    secret_on,
    seen,
)
from tests.support.mail import wait_for_mail
from tests.support.sessions import signed_in

EMAIL = "ivan@example.org"
ADD = "/account/security/totp"
REMOVE = "/account/security/totp/remove"
STEP = 1_900_000_000 // totp.STEP  # a fixed time step (in 2030) for the server's clock


def _verify(app, account_id: int, code: str) -> bool:
    with app.app_context():
        accepted = totp.verify(db.session.get(Account, account_id), code)
        db.session.commit()
        return accepted


def test_enrolment_shows_a_qr_code_and_the_key_and_a_first_code_confirms(
    app, smtp_sink, monkeypatch
):
    """The page shows an inline QR code with a text alternative and the key in groups of
    four; a first valid code enrols the app, shows the new recovery codes, and is mailed
    and recorded."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    client = signed_in(app, account_id)
    security = seen(client.get("/account/security"))
    assert "Ajouter une application d'authentification" in security
    page = seen(client.get(ADD))
    assert re.search(r'<img src="data:image/svg\+xml[^"]*"[^>]*alt="QR code[^"]+"', page)
    secret = secret_on(page)
    assert len(secret) == 32
    assert re.search(r"<code class=\"totp-secret\">(\w{4} ){7}\w{4}</code>", page)
    for attribute in ('autocomplete="one-time-code"', 'inputmode="numeric"', 'pattern="[0-9]{6}"'):
        assert attribute in page
    assert not _enrolled(app, account_id)

    done = post_form(client, ADD, {"code": code_at(secret, STEP)})
    assert done.status_code == 200
    assert "Vos codes de secours" in seen(done)
    assert len(recovery_codes_on(seen(done))) == 10
    assert "Activée." in seen(client.get("/account/security"))
    assert [e.type for e in events(app, "factor.totp_added")] == ["factor.totp_added"]
    assert len(events(app, "factor.recovery_generated")) == 1
    mail = wait_for_mail(smtp_sink, EMAIL)
    assert "application d'authentification ajoutée" in mail.text
    with client.session_transaction() as session:
        assert session["amr"] == ["pwd", "otp", "totp", "mfa"]


def test_the_qr_code_names_the_service_and_the_account(app):
    """The otpauth address has the SERVICE_NAME as issuer and the e-mail as account name."""
    with app.app_context():
        account = db.session.get(Account, make_account(app))
        uri = totp.provisioning_uri(account, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    parsed = pyotp.parse_uri(uri)
    assert parsed.issuer == app.config["SERVICE_NAME"] == "Mon Compte CNFPT"
    assert parsed.name == EMAIL


def test_a_wrong_code_is_refused_with_a_clear_message(app, monkeypatch):
    """A code from another secret, or not 6 digits, is refused with what to check; the
    same key stays on the page and the app is not enrolled."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    client = signed_in(app, account_id)
    secret = secret_on(seen(client.get(ADD)))
    other = pyotp.random_base32()
    refused = post_form(client, ADD, {"code": code_at(other, STEP)})
    assert "Ce code n'est pas valide : vérifiez que l'heure de votre téléphone" in seen(refused)
    assert 'aria-invalid="true"' in seen(refused)
    assert secret_on(seen(refused)) == secret
    malformed = post_form(client, ADD, {"code": "12a456"})
    assert "Le code comporte 6 chiffres" in seen(malformed)
    assert not _enrolled(app, account_id)
    assert not events(app, "factor.totp_added")


def test_a_code_one_step_off_is_accepted_two_steps_off_refused(app, monkeypatch):
    """A phone 30 s early or late passes; 60 s off does not."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    secret = enrol_totp(app, account_id)  # uses step STEP
    freeze_totp_clock(monkeypatch, STEP + 10)
    assert not _verify(app, account_id, code_at(secret, STEP + 8))
    assert not _verify(app, account_id, code_at(secret, STEP + 12))
    assert _verify(app, account_id, code_at(secret, STEP + 9))
    freeze_totp_clock(monkeypatch, STEP + 20)
    assert _verify(app, account_id, code_at(secret, STEP + 21))


def test_a_code_already_used_is_refused(app, monkeypatch):
    """Once a code is accepted, it and every code of an earlier step are refused; the
    next step's code passes."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    secret = enrol_totp(app, account_id)
    freeze_totp_clock(monkeypatch, STEP + 5)
    code = code_at(secret, STEP + 5)
    assert _verify(app, account_id, code)
    assert not _verify(app, account_id, code)
    assert not _verify(app, account_id, code_at(secret, STEP + 4))
    assert _verify(app, account_id, code_at(secret, STEP + 6))


def test_the_secret_is_sealed_in_the_database_and_absent_from_logs(app, caplog, monkeypatch):
    """The raw column holds no trace of the secret (only unseal() gives it back), and no
    log line of the enrolment names it."""
    caplog.set_level(logging.DEBUG)
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    client = signed_in(app, account_id)
    page = seen(client.get(ADD))
    secret = secret_on(page)
    post_form(client, ADD, {"code": code_at(secret, STEP)})
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT secret_sealed FROM totp_factor")).scalar_one()
        assert secret not in raw and secret.lower() not in raw.lower()
        assert unseal(raw) == secret
    grouped = " ".join(secret[i : i + 4] for i in range(0, 32, 4))
    assert secret not in caplog.text and grouped not in caplog.text


def test_an_enrolment_begun_in_another_browser_is_not_the_one_confirmed(app, monkeypatch):
    """Two browsers of the account: when the second begins, the key shown in the first is
    replaced, and a code of that key no longer enrols (nor is its key kept)."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    first, second = signed_in(app, account_id), signed_in(app, account_id)
    first_secret = secret_on(seen(first.get(ADD)))
    assert secret_on(seen(second.get(ADD))) != first_secret
    refused = post_form(first, ADD, {"code": code_at(first_secret, STEP)}, page="/account")
    assert "n'est pas valide" in seen(refused)
    assert not _enrolled(app, account_id)
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT secret_sealed FROM totp_factor")).scalar_one()
        assert unseal(raw) != first_secret
    secret = secret_on(seen(second.get(ADD)))
    post_form(second, ADD, {"code": code_at(secret, STEP)}, page="/account")
    assert _enrolled(app, account_id)


def test_one_app_per_account_and_removal(app, smtp_sink, monkeypatch):
    """With an app enrolled the add page sends back to "Sécurité"; removing it (after a
    confirmation page) is mailed and recorded, and the add button comes back."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    enrol_totp(app, account_id)
    client = signed_in(app, account_id, amr=MFA)
    again = client.get(ADD, follow_redirects=True)
    assert "Une application d'authentification est déjà active" in seen(again)
    confirm = seen(client.get(REMOVE))
    assert "C'est votre seule méthode de vérification" in confirm
    removed = post_form(client, REMOVE, {}, follow_redirects=True)
    assert "L'application d'authentification a été retirée." in seen(removed)
    assert "Ajouter une application d'authentification" in seen(removed)
    assert not _enrolled(app, account_id)
    assert len(events(app, "factor.totp_removed")) == 1
    assert "application d'authentification retirée" in wait_for_mail(smtp_sink, EMAIL).text


def test_changing_the_app_asks_for_a_second_factor_first(app, monkeypatch):
    """A session opened with the password alone is sent to the second-factor step (which
    comes back to the page) before it may remove the app; nothing is removed meanwhile."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    enrol_totp(app, account_id)
    client = signed_in(app, account_id)  # password only
    response = client.get(REMOVE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/verify")
    with client.session_transaction() as session:
        assert session["second_factor"]["next"] == REMOVE
        assert session["second_factor"]["step_up"] is True
    posted = post_form(client, REMOVE, {}, page="/account/security")
    assert posted.status_code == 302 and posted.headers["Location"].endswith("/login/verify")
    assert _enrolled(app, account_id)


def test_adding_an_app_beside_another_factor_asks_for_it_first(app):
    """With codes by e-mail on and a session opened with the password alone, the add page
    sends to the second-factor step, which comes back to it."""
    app.config["EMAIL_CODE_FACTOR"] = True
    account_id = make_account(app)
    with app.app_context():
        db.session.get(Account, account_id).email_factor_at = utcnow()
        db.session.commit()
    client = signed_in(app, account_id)
    response = client.get(ADD + "?next=/account")
    assert response.headers["Location"].endswith("/login/verify")
    with client.session_transaction() as session:
        assert session["second_factor"]["next"] == ADD + "?next=/account"
    assert signed_in(app, account_id, amr=MFA).get(ADD).status_code == 200


def test_enrolment_asked_by_a_service_goes_on_to_it(app, monkeypatch):
    """Sent to "Sécurité" with a `next` (a service wanting two factors), the person enrols
    an app; after the recovery codes, "continuer" leads to that `next`."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    client = signed_in(app, account_id)
    security = seen(client.get("/account/security?next=/account"))
    assert 'href="/account/security/totp?next=/account"' in security
    secret = secret_on(seen(client.get(ADD + "?next=/account")))
    done = post_form(client, ADD + "?next=/account", {"code": code_at(secret, STEP)})
    assert 'class="button primary" href="/account"' in seen(done)


def _enrolled(app, account_id: int) -> bool:
    with app.app_context():
        return totp.is_enrolled(db.session.get(Account, account_id))
