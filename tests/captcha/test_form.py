"""CaptchaMixin and captcha_block in a tiny test-only form (real app, real database)."""

from __future__ import annotations

import re

import pytest
from flask_wtf import FlaskForm

from idp.captcha.forms import CaptchaMixin
from tests.captcha.conftest import FORM_URL, csrf_in
from tests.support.captcha import captcha_fields, captcha_id_in

WRONG = "Les caractères saisis ne correspondent pas. De nouveaux caractères vous sont proposés."


def _post(client, page: str, **data):
    data = {"csrf_token": csrf_in(page), **data}
    return client.post(FORM_URL, data=data)


def _answer_value(page: str) -> str:
    tag = re.search(r'<input[^>]*name="captcha_answer"[^>]*>', page).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found else ""


def test_block_is_accessible(form_app, client, captcha_answers):
    """The block has a legend, explained image, audio player, audio link, renew button and
    an answer field with autocomplete off tied to its hint."""
    page = client.get(FORM_URL).get_data(as_text=True)
    challenge_id = captcha_id_in(page)
    assert challenge_id in captcha_answers
    assert "<legend>Contrôle de sécurité</legend>" in page
    image = re.search(r"<img[^>]*>", page, re.S).group(0)
    assert f'src="/captcha/{challenge_id}.png"' in image
    assert "captcha" in image.lower() and "version sonore" in image
    assert re.search(rf'<audio[^>]*controls[^>]*src="/captcha/{challenge_id}.wav"', page)
    link = f'<a class="captcha-audio-link" href="/captcha/{challenge_id}.wav">'
    assert f"{link}Écouter la version sonore</a>" in page
    assert 'name="captcha_renew" type="submit" value="Nouveaux caractères"' in page
    answer = re.search(r'<input[^>]*name="captcha_answer"[^>]*>', page).group(0)
    assert 'autocomplete="off"' in answer and 'aria-describedby="captcha_answer-hint"' in answer
    assert '<label for="captcha_answer">Caractères affichés dans l\'image</label>' in page
    assert "None" not in answer
    assert "js/captcha.js" in page


def test_right_answer_validates_the_form(form_app, client, captcha_answers):
    """The right characters (any case) let the form through."""
    page = client.get(FORM_URL).get_data(as_text=True)
    fields = captcha_fields(captcha_answers, page)
    fields["captcha_answer"] = fields["captcha_answer"].lower()
    response = _post(client, page, name="Ivan", **fields)
    assert response.get_data(as_text=True) == "accepted:Ivan"


def test_wrong_answer_is_refused_with_new_characters(form_app, client, captcha_answers):
    """A wrong answer: clear error tied to the field, a new challenge, the answer emptied,
    what was typed elsewhere kept; the old challenge cannot be retried."""
    page = client.get(FORM_URL).get_data(as_text=True)
    fields = captcha_fields(captcha_answers, page, wrong=True)
    again = _post(client, page, name="Ivan", **fields).get_data(as_text=True)
    assert WRONG in again
    assert 'id="captcha_answer-error"' in again
    assert 'aria-describedby="captcha_answer-hint captcha_answer-error"' in again
    assert captcha_id_in(again) != fields["captcha_id"]
    assert _answer_value(again) == ""
    assert 'value="Ivan"' in again
    right_but_old = captcha_fields(captcha_answers, page)
    assert WRONG in _post(client, again, name="Ivan", **right_but_old).get_data(as_text=True)


def test_missing_answer_is_refused(form_app, client, captcha_answers):
    """An empty answer is refused and the same characters stay on screen."""
    page = client.get(FORM_URL).get_data(as_text=True)
    challenge_id = captcha_id_in(page)
    again = _post(client, page, name="Ivan", captcha_id=challenge_id, captcha_answer=" ")
    text = again.get_data(as_text=True)
    assert "Saisissez les caractères" in text
    assert captcha_id_in(text) == challenge_id


def test_renew_gives_new_characters_and_keeps_the_form(form_app, client, captcha_answers):
    """Button "Nouveaux caractères" (no JS) gives another id, keeps typed fields, shows no error."""
    page = client.get(FORM_URL).get_data(as_text=True)
    old = captcha_id_in(page)
    again = _post(
        client, page, name="Ivan", captcha_id=old, captcha_answer="", captcha_renew="x"
    ).get_data(as_text=True)
    assert captcha_id_in(again) != old
    assert 'value="Ivan"' in again
    assert 'class="error"' not in again
    assert client.get(f"/captcha/{old}.png").status_code == 404


def test_solved_captcha_survives_another_error_once(form_app, client, captcha_answers):
    """Right characters but another field wrong: the captcha is not asked again, the form
    then passes once, and the same solved challenge cannot pass a second form."""
    page = client.get(FORM_URL).get_data(as_text=True)
    fields = captcha_fields(captcha_answers, page)
    again = _post(client, page, name="", **fields).get_data(as_text=True)
    assert "Indiquez votre nom." in again
    assert "Contrôle de sécurité réussi" in again
    assert 'name="captcha_answer"' not in again
    assert captcha_id_in(again) == fields["captcha_id"]
    done = _post(client, again, name="Ivan", captcha_id=fields["captcha_id"])
    assert done.get_data(as_text=True) == "accepted:Ivan"
    replay = _post(client, again, name="Ivan", **fields).get_data(as_text=True)
    assert "accepted" not in replay


def test_replayed_right_answer_is_refused(form_app, client, captcha_answers):
    """A form accepted with an answer cannot be sent again with the same answer."""
    page = client.get(FORM_URL).get_data(as_text=True)
    fields = captcha_fields(captcha_answers, page)
    assert _post(client, page, name="Ivan", **fields).get_data(as_text=True) == "accepted:Ivan"
    assert "accepted" not in _post(client, page, name="Ivan", **fields).get_data(as_text=True)


def test_captcha_can_be_switched_off(form_app, client, captcha_answers):
    """With captcha_enabled False the block is absent and the form validates without it."""
    page = client.get(f"{FORM_URL}?optional=1").get_data(as_text=True)
    assert "captcha_id" not in page and not captcha_answers
    response = client.post(
        f"{FORM_URL}?optional=1", data={"csrf_token": csrf_in(page), "name": "Ivan"}
    )
    assert response.get_data(as_text=True) == "accepted:Ivan"


def test_mixin_placed_after_flaskform_is_refused():
    """A form listing CaptchaMixin after FlaskForm (which would skip the check) is an error."""
    with pytest.raises(TypeError, match="CaptchaMixin before FlaskForm"):

        class Wrong(FlaskForm, CaptchaMixin):
            pass


def test_expired_challenge_in_a_form_gets_a_clear_message(form_app, client, captcha_answers):
    """Answering a challenge that expired meanwhile says so and shows new characters."""
    from datetime import timedelta

    from idp.captcha.models import CaptchaChallenge
    from idp.core.clock import utcnow
    from idp.core.extensions import db

    page = client.get(FORM_URL).get_data(as_text=True)
    fields = captcha_fields(captcha_answers, page)
    with form_app.app_context():
        db.session.get(CaptchaChallenge, fields["captcha_id"]).expires_at = utcnow() - timedelta(
            seconds=1
        )
        db.session.commit()
    again = _post(client, page, name="Ivan", **fields).get_data(as_text=True)
    assert "Le contrôle de sécurité a expiré" in again
    assert captcha_id_in(again) != fields["captcha_id"]
