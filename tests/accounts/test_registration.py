"""Registration over HTTP (cnfpt preset, one form) with the real SMTP sink: confirmation
mail, confirm, log in; expired, reused and invalid links; no account enumeration."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from idp.accounts.models import Account
from idp.accounts.services import create_account
from idp.audit.models import AuditEvent
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.mail.models import OutboxMessage
from tests.support.accounts import account_by_email, login
from tests.support.captcha import record_captcha_answers
from tests.support.forms import EMAIL, PASSWORD, csrf_of
from tests.support.mail import links_in, mails_to, wait_for_mail
from tests.support.registration import add_service, confirm_link, path_of, register
from tests.support.servers import wait_until

NIR = "2 55 08 14 168 025 38"


@pytest.fixture
def answers(app):
    """Characters of every captcha the app creates (test-only observer)."""
    return record_captcha_answers(app)


def audit_types(app) -> list[str]:
    with app.app_context():
        return [e.type for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def visible_text(html: str) -> str:
    """The page without tags, CSRF tokens, captcha ids and whitespace differences."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'value="[^"]*"', "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_register_confirm_then_login(app, client, smtp_sink, answers):
    """The whole journey: form → personal mail listing the services → confirm → login page
    with the e-mail filled → the confirmed account logs in (the pending one could not)."""
    add_service(app, "Formadist", "https://formadist.example", "Plateforme de formation à distance")
    add_service(app, "E-communautés", "https://ecommunautes.example", "Communautés thématiques")

    response = register(client, answers)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-email")
    page = client.get("/register/check-email").get_data(as_text=True)
    assert "Vérifiez votre boîte mail" in page and EMAIL in page
    assert "72 heures" in page

    pending = account_by_email(app, EMAIL)
    assert pending is not None and not pending.is_confirmed
    login(client, EMAIL, PASSWORD)
    assert client.get("/").status_code == 302  # pending: no session

    mail = wait_for_mail(smtp_sink, EMAIL)
    text = mail.text
    assert text.startswith("Bonjour Ivan,")
    assert EMAIL in text and "72 heures" in text
    assert "Formadist : Plateforme de formation à distance" in text
    assert "E-communautés : Communautés thématiques" in text
    assert "0 800 100 310" in text
    html_part = mail.message.get_body(preferencelist=("html",)).get_content()
    link = confirm_link(mail)
    assert "Bonjour Ivan," in html_part and link in unescape(html_part)
    assert "Formadist" in html_part

    response = client.get(path_of(link))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(location).path == "/login"
    assert parse_qs(urlsplit(location).query)["identifier"] == [EMAIL]
    login_page = client.get(location).get_data(as_text=True)
    assert "Votre compte est activé" in login_page
    assert f'value="{EMAIL}"' in login_page

    response = login(client, EMAIL, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    assert client.get("/").status_code == 200
    types = audit_types(app)
    assert "account.registered" in types and "account.confirmed" in types


def test_pending_account_cannot_log_in(app, client, smtp_sink, answers):
    """Before confirmation the password is right but no session is opened."""
    register(client, answers)
    wait_for_mail(smtp_sink, EMAIL)
    response = login(client, EMAIL, PASSWORD)
    assert response.status_code != 302 or "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


def test_mail_without_services_has_a_generic_sentence(app, client, smtp_sink, answers):
    """With no launcher entry yet the mail still says what the account is for."""
    register(client, answers)
    text = wait_for_mail(smtp_sink, EMAIL).text
    assert "avec un seul mot de passe, aux services en ligne de CNFPT" in text


def test_reused_link_says_the_account_is_active(app, client, smtp_sink, answers):
    """A second click on the link shows "already active" with a login button."""
    register(client, answers)
    link = path_of(confirm_link(wait_for_mail(smtp_sink, EMAIL)))
    assert client.get(link).status_code == 302
    again = client.get(link)
    page = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "Votre compte est déjà activé" in page
    assert "/login?identifier=pierreivan" in page


def test_expired_link_cancels_the_registration(app, client, smtp_sink, answers):
    """An expired link explains the registration was cancelled, offers to start again, and
    the unconfirmed account is gone."""
    register(client, answers)
    link = path_of(confirm_link(wait_for_mail(smtp_sink, EMAIL)))
    app.config["CONFIRMATION_MAX_AGE"] = 1
    time.sleep(2.1)
    response = client.get(link)
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "a expiré" in page and "annulée" in page and "1 seconde" in page
    assert 'href="/register"' in page
    assert account_by_email(app, EMAIL) is None
    assert login(client, EMAIL, PASSWORD).status_code != 302


def test_invalid_link_is_a_clear_page(app, client):
    """A truncated or forged link shows a readable page with ways forward, not a 500."""
    response = client.get("/register/confirm/not-a-real-token")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "n'est pas valide" in unescape(page)
    assert "/register/resend" in page


def test_duplicate_email_answers_like_a_new_registration(app, client, smtp_sink, answers):
    """An address that has an account gets the same answer, and its owner gets a mail
    saying someone tried; no second account, no confirmation link."""
    with app.app_context():
        create_account(
            email=EMAIL,
            password="Ancien#Mot2025",
            given_name="Ivan",
            family_name="Pierre",
            confirmed=True,
        )
        db.session.commit()
    other = app.test_client()
    fresh = register(
        other, answers, email="nouveau@yopmail.com", email_confirm="nouveau@yopmail.com"
    )
    fresh_page = other.get(fresh.headers["Location"]).get_data(as_text=True)

    response = register(client, answers, email=EMAIL.upper(), email_confirm=EMAIL.upper())
    assert response.status_code == fresh.status_code == 302
    assert response.headers["Location"] == fresh.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert visible_text(page).replace(EMAIL, "X") == visible_text(fresh_page).replace(
        "nouveau@yopmail.com", "X"
    )

    mail = wait_for_mail(smtp_sink, EMAIL)
    assert mail.text.startswith("Bonjour Ivan,")
    assert "Un compte existe déjà avec cette adresse" in mail.text
    assert not any("/register/confirm/" in link for link in links_in(mail))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Account)) == 2
    assert "registration.duplicate_attempt" in audit_types(app)


def test_duplicate_nir_mails_the_nir_owner(app, client, smtp_sink, answers):
    """A NIR already used is not revealed either: same answer, the NIR owner is told."""
    with app.app_context():
        create_account(
            email="titulaire@yopmail.com",
            password="Ancien#Mot2025",
            given_name="Marie",
            family_name="Curie",
            confirmed=True,
            nir="255081416802538",
        )
        db.session.commit()
    # Typed with an identity that agrees with it (sex digit, birth year and month).
    response = register(client, answers, nir=NIR, civility="mme", birthdate="1955-08-14")
    assert response.headers["Location"].endswith("/register/check-email")
    mail = wait_for_mail(smtp_sink, "titulaire@yopmail.com")
    assert mail.text.startswith("Bonjour Marie,")
    assert "numéro de sécurité sociale" in mail.text
    assert account_by_email(app, EMAIL) is None
    typed = wait_for_mail(smtp_sink, EMAIL)  # the page said a mail went there: it did
    assert "Aucun compte n'a été créé" in typed.text and "titulaire" not in typed.text


def test_expired_pending_account_is_replaced(app, client, smtp_sink, answers):
    """An unconfirmed registration past its delay does not block a new one."""
    with app.app_context():
        old = create_account(
            email=EMAIL, password="Ancien#Mot2025", given_name="Old", family_name="Name"
        )
        old.created_at = utcnow() - timedelta(days=4)
        db.session.commit()
    register(client, answers)
    mail = wait_for_mail(smtp_sink, EMAIL)
    assert mail.text.startswith("Bonjour Ivan,")
    assert account_by_email(app, EMAIL).given_name == "Ivan"


def test_pending_duplicate_gets_a_fresh_link(app, client, smtp_sink, answers):
    """Registering again while the first registration waits re-sends a working link."""
    register(client, answers)
    wait_for_mail(smtp_sink, EMAIL)
    register(app.test_client(), answers, given_name="Autre", family_name="Personne")
    mail = wait_for_mail(smtp_sink, EMAIL, count=2)
    assert "attend encore sa confirmation" in mail.text
    assert client.get(path_of(confirm_link(mail))).status_code == 302
    assert account_by_email(app, EMAIL).given_name == "Ivan"


def test_errors_keep_what_was_typed_but_not_passwords(app, client, answers):
    """Each error is shown next to its field; typed values come back, passwords never."""
    response = register(
        client,
        answers,
        email_confirm="autre@yopmail.com",
        password="ivanpierre",
        password_confirm="ivanpierre",
        phone="12",
        nir="2 55 08 14 168 025 39",
        secondary_email=EMAIL,
    )
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'value="Ivan"' in page and 'value="Pierre"' in page and f'value="{EMAIL}"' in page
    assert 'value="1985-05-01"' in page and 'value="2 55 08 14 168 025 39"' in page
    assert "ivanpierre" not in page
    assert "Les deux adresses électroniques ne sont pas identiques." in page
    assert "Ce numéro de téléphone n'est pas valide" in page
    assert "La clé (les 2 derniers chiffres) ne correspond pas" in page
    assert "Le courriel secondaire doit être différent du courriel." in page
    assert 'id="email_confirm-error"' in page and 'aria-describedby="email_confirm-error"' in page
    assert re.search(r'<li data-rule="upper"[^>]*class="ko"', page)
    assert re.search(r'<li data-rule="no_name"[^>]*class="ko"', page)
    assert re.search(r'<li data-rule="min_length"[^>]*class="ok"', page)
    assert account_by_email(app, EMAIL) is None


def test_form_marks_required_fields_and_has_the_big_button(app, client):
    """Required fields carry the mark; the checklist and "Créer mon compte" are there."""
    page = client.get("/register").get_data(as_text=True)
    for name in ("given_name", "family_name", "birthdate", "email", "password"):
        assert re.search(rf'<input[^>]*id="{name}"[^>]*required', page), name
    assert not re.search(r'<input[^>]*id="phone"[^>]*required', page)
    assert "Au moins 8 caractères" in page and "js/accounts-policy.js" in page
    assert re.search(r'class="[^"]*big[^"]*"[^>]*value="Créer mon compte"', page) or (
        "Créer mon compte" in page and "button big" in page
    )


def test_english_when_the_browser_asks(app, client):
    """The form follows the browser's language (English catalogue permitting)."""
    page = client.get("/register", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_mail_sink_down_then_delivered_later(app, client, smtp_sink, answers):
    """SMTP down: the registration still answers at once; the mail waits in the outbox,
    sealed (no live link in clear), and the worker delivers it once the server is back;
    then its body is gone from the database."""
    smtp_sink.stop()
    response = register(client, answers)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert EMAIL in page

    def failed_once():
        with app.app_context():
            rows = db.session.scalars(db.select(OutboxMessage)).all()
            return rows if rows and rows[0].attempts >= 1 else None

    (waiting,) = wait_until(failed_once)
    assert waiting.status == "pending" and waiting.sent_at is None and waiting.last_error
    assert "/register/confirm/" not in (waiting.sealed_body or "")
    assert "Bonjour" not in (waiting.sealed_body or "")
    smtp_sink.start()
    mail = wait_for_mail(smtp_sink, EMAIL)
    assert mail.text.startswith("Bonjour Ivan,")
    assert client.get(path_of(confirm_link(mail))).status_code == 302
    with app.app_context():
        (sent,) = db.session.scalars(db.select(OutboxMessage)).all()
        assert sent.status == "sent" and sent.sealed_body is None


def test_resend_is_enumeration_safe_and_rate_limited(app, client, smtp_sink, answers):
    """Re-sending answers the same for any address, mails only a pending registration,
    and is rate-limited."""
    register(client, answers)
    wait_for_mail(smtp_sink, EMAIL)
    answers = []
    for address in (EMAIL, "inconnu@yopmail.com"):
        other = app.test_client()
        page = other.get("/register/resend").get_data(as_text=True)
        response = other.post(
            "/register/resend",
            data={"email": address, "csrf_token": csrf_of(page)},
            follow_redirects=True,
        )
        answers.append(visible_text(response.get_data(as_text=True)).replace(address, "X"))
    assert answers[0] == answers[1]
    assert "un nouveau courriel de confirmation" in answers[0]
    wait_for_mail(smtp_sink, EMAIL, count=2)
    assert len(mails_to(smtp_sink, EMAIL)) == 2
    assert mails_to(smtp_sink, "inconnu@yopmail.com") == []

    app.config["REGISTRATION_RESEND_RATE_LIMIT"] = "2 per minute"
    limited = app.test_client()
    page = limited.get("/register/resend").get_data(as_text=True)
    codes = [
        limited.post(
            "/register/resend", data={"email": "x@yopmail.com", "csrf_token": csrf_of(page)}
        ).status_code
        for _ in range(4)
    ]
    assert 429 in codes


def test_check_email_page_resends_for_this_registration(app, client, smtp_sink, answers):
    """The "Renvoyer le courriel" button of the check page sends a new working link."""
    register(client, answers)
    wait_for_mail(smtp_sink, EMAIL)
    page = client.get("/register/check-email").get_data(as_text=True)
    assert "Renvoyer le courriel" in page
    response = client.post("/register/resend", data={"email": EMAIL, "csrf_token": csrf_of(page)})
    assert response.headers["Location"].endswith("/register/check-email")
    mail = wait_for_mail(smtp_sink, EMAIL, count=2)
    assert client.get(path_of(confirm_link(mail))).status_code == 302


def test_purge_removes_expired_registrations_only(app):
    """maintenance.run() deletes unconfirmed accounts past the delay, keeps the others."""
    from idp.accounts import maintenance

    with app.app_context():
        for email, confirmed, age in (
            ("vieux@yopmail.com", False, timedelta(days=4)),
            ("recent@yopmail.com", False, timedelta(hours=1)),
            ("actif@yopmail.com", True, timedelta(days=400)),
        ):
            account = create_account(
                email=email,
                password="Abc#12345",
                given_name="A",
                family_name="B",
                confirmed=confirmed,
            )
            account.created_at = utcnow() - age
        db.session.commit()
        counts = maintenance.run()
        assert counts["registrations"] == 1
        remaining = set(db.session.scalars(db.select(Account.email)))
    assert remaining == {"recent@yopmail.com", "actif@yopmail.com"}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(259200, "72 heures"), (1296000, "15 jours"), (3600, "1 heure"), (90, "1 minute")],
)
def test_human_duration(app, seconds, text):
    """The link lifetime is written the way people say it."""
    from idp.accounts.mails import human_duration

    with app.test_request_context("/"):
        assert human_duration(seconds) == text
