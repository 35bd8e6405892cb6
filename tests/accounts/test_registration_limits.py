"""Fair limits on registration and on re-sending the confirmation link: an office behind
one address gets through, typos never count, a captcha comes before any block, and a paused
form keeps what was typed and says how long to wait."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import csrf_of, person
from tests.support.registration import register


@pytest.fixture
def answers(app):
    return record_captcha_answers(app)


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def _post_register(client, answers, **overrides):
    page = client.get("/register").get_data(as_text=True)
    data = {**person(**overrides), "csrf_token": csrf_of(page), **captcha_fields(answers, page)}
    return client.post("/register", data=data)


def test_an_office_behind_one_address_registers(app, answers):
    """21 different people registering from one address (an office's proxy) all get to
    "check your mailbox": the 21st is no longer blocked."""
    app.config["STEADY_ANSWERS"] = False  # the pace of answers is not what is tested here
    for n in range(21):
        response = register(app.test_client(), answers, email=f"agent{n}@yopmail.com")
        assert response.status_code == 302, n
        assert response.headers["Location"].endswith("/register/check-email")


def test_typos_are_not_counted_and_a_pause_keeps_what_was_typed(app, client, answers):
    """Forms refused for a typo or wrong captcha characters never count; past the limit for
    one e-mail from one address the form comes back (429, Retry-After) with what was typed,
    not the password, saying in minutes how long to wait; other people are not held up."""
    app.config["REGISTRATION_RATE_LIMIT"] = "1 per hour"
    for typo in ({"email_confirm": "ivan.pierre@yopmai.com"}, {"family_name": ""}):
        assert _post_register(client, answers, **typo).status_code == 400
    page = client.get("/register").get_data(as_text=True)
    wrong = {**person(), "csrf_token": csrf_of(page), **captcha_fields(answers, page, wrong=True)}
    assert client.post("/register", data=wrong).status_code == 400

    assert _post_register(client, answers).status_code == 302  # the first accepted one

    again = app.test_client()
    paused = _post_register(again, answers, family_name="Pierre-Durand", phone="01 23 45 67 89")
    shown = _text(paused)
    assert paused.status_code == 429
    assert 3540 <= int(paused.headers["Retry-After"]) <= 3600
    assert "Réessayez dans 60 minutes." in shown
    assert "sauf le mot de passe" in shown
    assert 'value="Pierre-Durand"' in shown and 'value="01 23 45 67 89"' in shown
    assert person()["password"] not in shown
    assert 'name="captcha_id"' in shown  # the form can be sent again as it is, later

    other = _post_register(app.test_client(), answers, email="collegue@yopmail.com")
    assert other.status_code == 302


def test_an_address_flooding_registrations_is_paused(app, answers):
    """Past the address's own (much higher) limit, any e-mail from it is paused."""
    app.config["REGISTRATION_ADDRESS_RATE_LIMIT"] = "2 per hour"
    for n in range(2):
        assert (
            _post_register(app.test_client(), answers, email=f"r{n}@yopmail.com").status_code == 302
        )
    paused = _post_register(app.test_client(), answers, email="r3@yopmail.com")
    assert paused.status_code == 429 and "Réessayez dans" in _text(paused)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert _post_register(elsewhere, answers, email="r3@yopmail.com").status_code == 302


def _resend(client, email: str, answers=None, page: str | None = None):
    page = page or client.get("/register/resend").get_data(as_text=True)
    data = {"email": email, "csrf_token": csrf_of(page)}
    if answers is not None:
        data.update(captcha_fields(answers, page))
    return client.post("/register/resend", data=data)


def test_resend_asks_the_captcha_before_pausing(app, answers):
    """From one address, re-sending past REGISTRATION_RESEND_CAPTCHA_AFTER asks the captcha
    (the e-mail typed is kept); with it the link is sent; a typo never counts; only the
    address's much higher limit pauses the form."""
    app.config["REGISTRATION_RESEND_CAPTCHA_AFTER"] = "2 per 15 minutes"
    app.config["REGISTRATION_RESEND_ADDRESS_RATE_LIMIT"] = "3 per 15 minutes"
    for n in range(2):
        assert _resend(app.test_client(), "pas-une-adresse").status_code == 400  # typo
        assert _resend(app.test_client(), f"agent{n}@yopmail.com").status_code == 302

    client = app.test_client()
    asked = _resend(client, "agent2@yopmail.com")
    page = _text(asked)
    assert asked.status_code == 200 and 'name="captcha_id"' in page
    assert 'value="agent2@yopmail.com"' in page
    assert "ne correspondent pas" not in page
    sent = _resend(client, "agent2@yopmail.com", answers, asked.get_data(as_text=True))
    assert sent.status_code == 302

    paused = _resend(app.test_client(), "agent3@yopmail.com")
    assert paused.status_code == 429 and "Réessayez dans 15 minutes." in _text(paused)
    assert 'value="agent3@yopmail.com"' in _text(paused)


def test_a_paused_wizard_says_so_at_the_identity_step(app, answers):
    """In the wizard (cpf), an e-mail past its limit from this address is told at the
    identity step, with what was typed, before any password is asked."""
    app.config["REGISTRATION_RATE_LIMIT"] = "1 per hour"
    assert _post_register(app.test_client(), answers).status_code == 302  # one-form first
    app.config["REGISTRATION_WIZARD"] = True
    client = app.test_client()
    page = client.get("/register/step/1").get_data(as_text=True)
    client.post("/register/step/1", data={"accept_terms": "y", "csrf_token": csrf_of(page)})
    page = client.get("/register/step/2").get_data(as_text=True)
    fields = {
        name: value
        for name, value in person(family_name="Lemaire").items()
        if not name.startswith("password") and name != "accept_terms"
    }
    data = {**fields, "csrf_token": csrf_of(page), **captcha_fields(answers, page)}
    paused = client.post("/register/step/2", data=data)
    shown = _text(paused)
    assert paused.status_code == 429 and re.search(r"Réessayez dans \d+ minutes\.", shown)
    assert 'value="Lemaire"' in shown
