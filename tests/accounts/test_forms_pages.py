"""What the registration, login and wizard pages show a person: fields in the order of
the glossary's words, errors tied to their fields, the cancel that asks first."""

from __future__ import annotations

from html import unescape

import pytest

from idp.accounts.models import RegistrationDraft
from idp.core.extensions import db
from tests.support.accounts import PASSWORD, login, make_account, text
from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import csrf_of, person
from tests.support.registration import register


def positions(page: str, *ids: str) -> list[int]:
    return [page.index(f'id="{field_id}"') for field_id in ids]


def test_cnfpt_form_asks_identity_then_contact_then_the_optional_nir(client):
    """NIR last, in a group saying it is optional; the glossary's words on the form."""
    page = unescape(text(client.get("/register")))
    order = positions(page, "civility", "given_name", "family_name", "birthdate", "email", "nir")
    assert order == sorted(order)
    assert "Numéro de sécurité sociale (facultatif)" in page
    assert "Madame" in page and "Monsieur" in page and ">Mme<" not in page
    assert "Téléphone mobile" in page and "portable" not in page
    assert "Format : JJ/MM/AAAA (exemple : 14/08/1985)." in page
    assert "))" not in page  # the support line's hours have no parentheses of their own


def test_login_error_marks_both_fields_without_saying_which(app, client):
    """A wrong password marks the identifier and the password invalid, both described by
    the one message, which names neither."""
    make_account(app)
    page = text(login(client, "ivan@example.org", "wrong-password"))
    for field_id in ("identifier", "password"):
        tag = next(t for t in page.split("<input") if f'id="{field_id}"' in t)
        assert 'aria-invalid="true"' in tag and "login-error" in tag
    assert 'id="login-error" tabindex="-1" data-error-summary' in page
    assert "Identifiant ou mot de passe incorrect." in page


def test_missing_civility_is_tied_to_its_radio_buttons(app, client):
    """The civility error is described on its fieldset and on each radio button, and the
    summary's link leads to the first button."""
    answers = record_captcha_answers(app)
    page = text(register(client, answers, civility=""))
    assert '<fieldset id="civility" aria-describedby="civility-error">' in page
    radios = [t for t in page.split("<input") if 'name="civility"' in t]
    assert len(radios) == 2
    for radio in radios:
        assert 'aria-invalid="true"' in radio and 'aria-describedby="civility-error"' in radio
    assert 'href="#civility-0"' in page
    assert 'id="form-errors" data-error-summary' in page


def test_password_change_page_puts_the_checklist_under_the_new_password(app, client):
    """Current password, then new password, then its checklist and live summary, then
    the confirmation."""
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    page = text(client.get("/account/password"))
    order = positions(
        page,
        "current_password",
        "new_password",
        "password-rules",
        "password-rules-summary",
        "confirm",
    )
    assert order == sorted(order)
    assert 'aria-live="polite"' in page
    assert 'data-show-password="Afficher le mot de passe"' in page


@pytest.fixture
def cpf(app):
    app.config.update(REGISTRATION_WIZARD=True, NIR_FIELD="required")


def drafts(app) -> int:
    with app.app_context():
        return db.session.query(RegistrationDraft).count()


def test_wizard_cancel_asks_before_erasing(app, client, cpf):
    """ "Annuler l'inscription" opens a page that says what will be erased; only its
    button erases, and "Non" leads back to the step."""
    page = text(client.get("/register/step/1"))
    client.post("/register/step/1", data={"accept_terms": "y", "csrf_token": csrf_of(page)})
    step2 = unescape(text(client.get("/register/step/2")))
    # It sends the step's form first (what was typed is kept), then asks; it erases nothing.
    assert 'form="register-identity" name="cancel_registration"' in step2
    assert 'action="/register/cancel"' not in step2  # no button that erases at once
    assert 'href="/register/cancel?step=1"' in unescape(text(client.get("/register/step/1")))

    asking = unescape(text(client.get("/register/cancel?step=2")))
    assert "Annuler l'inscription ?" in asking
    assert "votre acceptation des conditions d'utilisation" in asking
    assert 'href="/register/step/2"' in asking and "Non, reprendre mon inscription" in asking
    assert drafts(app) == 1

    response = client.post("/register/cancel", data={"csrf_token": csrf_of(asking)})
    assert response.status_code == 302 and drafts(app) == 0


def test_the_error_summary_follows_the_page_s_order(app, client):
    """A missing family name and wrong captcha characters: the summary lists the name
    first and the captcha last, as the page shows the fields (not the captcha first)."""
    answers = record_captcha_answers(app)
    page = text(client.get("/register"))
    data = {**person(family_name=""), "csrf_token": csrf_of(page)}
    data.update(captcha_fields(answers, page, wrong=True))
    shown = unescape(text(client.post("/register", data=data)))
    summary = shown[
        shown.index('id="form-errors"') : shown.index("</ul>", shown.index('id="form-errors"'))
    ]
    assert summary.index('href="#family_name"') < summary.index('href="#captcha_answer"')
