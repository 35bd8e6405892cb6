"""The cpf preset: registration as the 4-step wizard of seed 004 (terms → identity with
NIR and captcha → password → notice), the Back button, the 15-day link, NIR login."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from idp.accounts.models import Account
from idp.core.digest import secret_digest
from idp.core.extensions import db
from tests.support.accounts import login
from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import csrf_of
from tests.support.mail import wait_for_mail
from tests.support.registration import confirm_link, path_of

EMAIL = "titulaire@yopmail.com"
NIR = "2 55 08 14 168 025 38"
PASSWORD = "PaulnET1547PAUL&!aulet14"


@pytest.fixture
def settings(settings):
    """The CPF deployment."""
    return {**settings, "PRESET": "cpf"}


def identity(**overrides) -> dict[str, str]:
    data = {
        "nir": NIR,
        "civility": "mme",
        "given_name": "Paulette",
        "family_name": "Martin",
        "birth_name": "Durand",
        "birthdate": "1955-08-14",
        "email": EMAIL,
        "email_confirm": EMAIL,
        "secondary_email": "",
        "phone": "01 23 45 67 89",
        "mobile": "",
    }
    data.update(overrides)
    return data


def step(client, number: int, data: dict | None = None, answers=None, **extra):
    """GET a step, then POST it (with its CSRF token and, if asked, the captcha)."""
    url = f"/register/step/{number}"
    page = client.get(url).get_data(as_text=True)
    if data is None:
        return page
    form = {**data, "csrf_token": csrf_of(page), **extra}
    if answers is not None:
        form.update(captcha_fields(answers, page))
    return client.post(url, data=form)


def session_dump(client) -> str:
    with client.session_transaction() as session:
        return json.dumps(dict(session), default=str)


def test_cpf_wizard_four_steps(app, client, smtp_sink):
    """Terms, identity (NIR required, captcha), password (cpf rule), then the notice saying
    the link stays active 15 days; the mail arrives and the account logs in by NIR."""
    answers = record_captcha_answers(app)
    response = client.get("/register")
    assert response.status_code == 302 and response.headers["Location"].endswith("/step/1")
    assert client.get("/register/step/2").headers["Location"].endswith("/step/1")

    page = unescape(step(client, 1))
    assert re.search(r'aria-current="step"[^>]*>.*1\. Conditions d\'utilisation', page)
    refused = step(client, 1, {})
    assert refused.status_code == 400
    response = step(client, 1, {"accept_terms": "y"})
    assert response.headers["Location"].endswith("/register/step/2")

    missing = step(client, 2, identity(nir=""), answers)
    assert missing.status_code == 400
    assert "Indiquez votre numéro de sécurité sociale." in unescape(missing.get_data(as_text=True))
    response = step(client, 2, identity(), answers)
    assert response.headers["Location"].endswith("/register/step/3")

    page = step(client, 3)
    assert "Au moins 5 lettres" in page and "Au moins 3 chiffres" in page
    weak = step(client, 3, {"password": "lapin145", "password_confirm": "lapin145"})
    assert weak.status_code == 400
    assert "Au moins 3 types de caractères" in unescape(weak.get_data(as_text=True))
    assert "lapin145" not in weak.get_data(as_text=True)
    assert "lapin145" not in session_dump(client)

    response = step(client, 3, {"password": PASSWORD, "password_confirm": PASSWORD})
    assert response.headers["Location"].endswith("/register/check-email")
    assert PASSWORD not in session_dump(client)
    notice = unescape(client.get("/register/check-email").get_data(as_text=True))
    assert "le lien restera actif durant 15 jours" in notice
    assert re.search(r'aria-current="step"[^>]*>.*4\. Confirmation', notice)

    mail = wait_for_mail(smtp_sink, EMAIL)
    assert mail.text.startswith("Bonjour Paulette,") and "15 jours" in mail.text
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.email == EMAIL))
        assert account.nir == "255081416802538" and account.birth_name == "Durand"
        assert account.phone == "0123456789" and account.civility == "mme"
    assert client.get(path_of(confirm_link(mail))).status_code == 302
    response = login(client, NIR, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_back_keeps_what_was_typed(app, client):
    """ "Retour" from the password step shows the identity step filled in, without asking
    the captcha again; "Retour" from identity keeps even unchecked input."""
    answers = record_captcha_answers(app)
    step(client, 1, {"accept_terms": "y"})
    step(client, 2, identity(), answers)
    response = step(client, 3, {"back": "Retour"})
    assert response.headers["Location"].endswith("/register/step/2")
    page = client.get("/register/step/2").get_data(as_text=True)
    assert 'value="Paulette"' in page and f'value="{EMAIL}"' in page
    assert 'value="255081416802538"' in page or f'value="{NIR}"' in page
    assert 'name="captcha_answer"' not in page
    response = step(client, 2, identity(given_name="Paulette-Marie"))
    assert response.headers["Location"].endswith("/register/step/3")

    response = step(client, 3, {"back": "Retour"})
    step(client, 2, identity(given_name="Moitié", email="pas-fini@"), back="Retour")
    page = client.get("/register/step/2").get_data(as_text=True)
    assert 'value="Moitié"' in unescape(page) and 'value="pas-fini@"' in page


def test_wizard_refuses_a_common_password(app, client, smtp_sink):
    """Step 3 refuses a password among the most used (any case) even when it meets every
    cpf rule, saying why under the field; a strong one then goes through."""
    answers = record_captcha_answers(app)
    step(client, 1, {"accept_terms": "y"})
    step(client, 2, identity(), answers)
    refused = step(client, 3, {"password": "aZERTY123", "password_confirm": "aZERTY123"})
    page = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 400
    assert re.search(
        r'<p class="error" id="password-error">Ce mot de passe figure parmi les plus utilisés '
        r"ou divulgués : choisissez-en un autre\.</p>",
        page,
    )
    assert re.search(r'<li data-rule="not_common"[^>]*class="ko"', page)
    assert "Au moins 3 types de caractères" in page  # the checklist line, met
    assert not re.search(r'<li data-rule="min_classes"[^>]*class="ko"', page)
    response = step(client, 3, {"password": PASSWORD, "password_confirm": PASSWORD})
    assert response.headers["Location"].endswith("/register/check-email")


def test_wizard_nir_key_is_checked(app, client):
    """A NIR with a wrong key is refused at step 2 with a clear message."""
    answers = record_captcha_answers(app)
    step(client, 1, {"accept_terms": "y"})
    response = step(client, 2, identity(nir="2 55 08 14 168 025 39"), answers)
    assert response.status_code == 400
    assert "La clé (les 2 derniers chiffres)" in unescape(response.get_data(as_text=True))


def session_cookie(app, client) -> dict:
    """The session as the browser holds it, decoded with the app's own serializer."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def drafts(app) -> list:
    from idp.accounts.models import RegistrationDraft

    with app.app_context():
        return [dict(d.data) for d in db.session.scalars(db.select(RegistrationDraft))]


def test_nir_is_not_in_the_session_cookie(app, client):
    """The draft (names, e-mail, NIR) is stored on the server: the signed-but-readable
    cookie only carries a random key; a draft left in the cookie by an older version is
    dropped."""
    answers = record_captcha_answers(app)
    with client.session_transaction() as session:
        session["registration_draft"] = {"identity": {"nir": "255081416802538"}}
    step(client, 1, {"accept_terms": "y"})
    response = step(client, 2, identity(), answers)
    assert response.headers["Location"].endswith("/register/step/3")

    cookie = json.dumps(session_cookie(app, client), default=str)
    for secret in ("255081416802538", "2 55 08 14", "Paulette", "Martin", EMAIL):
        assert secret not in cookie
    assert "registration_draft" not in session_cookie(app, client)
    key = session_cookie(app, client)["registration_draft_key"]
    assert len(key) >= 43  # 32 random bytes, url-safe base64
    [saved] = drafts(app)
    assert saved["identity"]["nir"] == "255081416802538" and key not in json.dumps(saved)
    assert "password" not in json.dumps(saved)


def test_draft_is_deleted_when_the_wizard_completes(app, client, smtp_sink):
    """Once the registration is sent, the draft row and its key in the session are gone."""
    answers = record_captcha_answers(app)
    step(client, 1, {"accept_terms": "y"})
    step(client, 2, identity(), answers)
    assert len(drafts(app)) == 1
    response = step(client, 3, {"password": PASSWORD, "password_confirm": PASSWORD})
    assert response.headers["Location"].endswith("/register/check-email")
    # Only what "Modifier mon adresse" needs remains (idp/accounts/address_change.py).
    assert [draft for draft in drafts(app) if "change" not in draft] == []
    assert "registration_draft_key" not in session_cookie(app, client)


def test_cancel_deletes_the_draft(app, client):
    """ "Annuler l'inscription" erases what was typed at once and goes back to the login
    page, keeping the way back to the service."""
    answers = record_captcha_answers(app)
    step(client, 1, {"accept_terms": "y", "next": "/account"})
    page = step(client, 2)
    assert "Annuler l'inscription" in unescape(page)
    step(client, 2, identity(), answers)
    response = client.post(
        "/register/cancel", data={"csrf_token": csrf_of(page), "cancel": "Annuler l'inscription"}
    )
    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == "/login?next=/account"
    assert drafts(app) == []
    assert client.get("/register/step/3").headers["Location"].endswith("/register/step/1")


def test_cancel_then_resume_finds_the_step_as_it_was_left(app, client):
    """ "Annuler l'inscription" on the identity step, after a refused submit, sends what was
    typed along; the confirmation lists it as what would be erased, and "Non, reprendre mon
    inscription" shows the step filled in as it was left (nothing typed is lost)."""
    step(client, 1, {"accept_terms": "y"})
    refused = step(client, 2, identity(email_confirm="titulaire@yopmai.com"))
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert 'form="register-identity" name="cancel_registration"' in page
    typed = identity(given_name="Paulette", email_confirm="titulaire@yopmai.com")
    asked = client.post(
        "/register/step/2", data={**typed, "csrf_token": csrf_of(page), "cancel_registration": "1"}
    )
    assert asked.headers["Location"].endswith("/register/cancel?step=2")
    confirm = unescape(client.get(asked.headers["Location"]).get_data(as_text=True))
    assert "Annuler l'inscription ?" in confirm
    resume = re.search(r'<a class="button" href="([^"]+)">Non, reprendre', confirm).group(1)
    again = unescape(client.get(resume).get_data(as_text=True))
    assert 'value="Paulette"' in again and 'value="titulaire@yopmai.com"' in again
    assert drafts(app) != []


def test_expired_draft_is_refused_then_purged(app, client):
    """A draft past its hour is not used (back to step 1 with a notice) and the accounts
    purge deletes it, keeping live drafts."""
    from datetime import timedelta

    from idp.accounts import maintenance, registration
    from idp.accounts.models import RegistrationDraft
    from idp.core.clock import utcnow

    step(client, 1, {"accept_terms": "y"})
    with app.app_context():
        live_key = registration.save_draft(None, {"terms": "x"})
        db.session.execute(
            db.update(RegistrationDraft)
            .where(RegistrationDraft.key_hash != secret_digest(live_key))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    response = client.get("/register/step/2")
    assert response.headers["Location"].endswith("/register/step/1")
    assert "a expiré" in unescape(client.get("/register/step/1").get_data(as_text=True))
    with app.app_context():
        assert maintenance.run()["registration_drafts"] == 1
        assert registration.load_draft(live_key) == {"terms": "x"}


def test_wizard_keeps_next_to_the_login_redirect(app, client, smtp_sink):
    """cpf: `next` given to /register survives the three steps (in the server-side draft),
    the confirmation link, and reaches the login redirect; an unsafe one is dropped."""
    answers = record_captcha_answers(app)
    target = "/oauth/authorize?client_id=cpf&response_type=code&scope=openid"
    response = client.get("/register?step=9&_external=1&next=" + quote(target, safe=""))
    location = response.headers["Location"]
    assert location.startswith("/register/step/1?") and "_external" not in location
    page = client.get(location).get_data(as_text=True)
    assert f'name="next" type="hidden" value="{target}"'.replace("&", "&amp;") in page
    response = client.post(location, data={"accept_terms": "y", "csrf_token": csrf_of(page)})
    assert response.headers["Location"].endswith("/register/step/2")
    assert "next" not in session_cookie(app, client)
    step(client, 2, identity(), answers)
    step(client, 3, {"password": PASSWORD, "password_confirm": PASSWORD})
    mail = wait_for_mail(smtp_sink, EMAIL)
    query = parse_qs(urlsplit(client.get(path_of(confirm_link(mail))).headers["Location"]).query)
    assert query["next"] == [target] and query["identifier"] == [EMAIL]

    page = client.get("/register/step/1?next=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in page
