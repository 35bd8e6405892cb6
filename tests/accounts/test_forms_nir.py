"""The NIR checked against the civility and birth date typed with it (cpf wizard, step 2,
where all three are asked): each contradiction named on the field it contradicts."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest

from idp.accounts import nir
from tests.support.captcha import record_captcha_answers
from tests.support.forms import csrf_of

NIR = "2 55 08 14 168 025 38"  # a woman born in August 1955


@pytest.fixture
def settings(settings):
    """The CPF deployment: the NIR is required, on the identity step."""
    return {**settings, "PRESET": "cpf"}


def identity_step(app, client, **overrides):
    """Accept the terms, then post the identity step (captcha solved) with `overrides`."""
    from tests.support.captcha import captcha_fields

    answers = record_captcha_answers(app)
    page = client.get("/register/step/1").get_data(as_text=True)
    client.post("/register/step/1", data={"accept_terms": "y", "csrf_token": csrf_of(page)})
    page = client.get("/register/step/2").get_data(as_text=True)
    data = {
        "nir": NIR,
        "civility": "mme",
        "given_name": "Paulette",
        "family_name": "Martin",
        "birthdate": "1955-08-14",
        "email": "titulaire@yopmail.com",
        "email_confirm": "titulaire@yopmail.com",
        "csrf_token": csrf_of(page),
        **captcha_fields(answers, page),
        **overrides,
    }
    return client.post("/register/step/2", data=data)


def error_of(response, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', response.get_data(True))
    return unescape(found.group(1)) if found else ""


def test_a_consistent_nir_is_accepted(app, client):
    """Sex digit, year and month agreeing with civility and birth date: on to step 3."""
    response = identity_step(app, client)
    assert response.headers["Location"].endswith("/register/step/3")


def test_sex_digit_contradicting_the_civility_is_named_on_the_civility(app, client):
    """A woman's NIR with "Monsieur": the civility is marked, the message says why."""
    response = identity_step(app, client, civility="m")
    assert response.status_code == 400
    assert "celui d'une femme (il commence par 2)" in error_of(response, "civility")
    assert "« Monsieur »" in error_of(response, "civility")
    assert error_of(response, "nir") == "" and error_of(response, "birthdate") == ""


@pytest.mark.parametrize(
    ("birthdate", "nir_says", "typed"),
    [
        ("1956-08-14", "en 1955", "le 14 août 1956"),  # the year disagrees
        ("1955-03-14", "en août 1955", "le 14 mars 1955"),  # the month disagrees
    ],
)
def test_a_birth_date_contradicting_the_nir_is_named_on_the_birth_date(
    app, client, birthdate, nir_says, typed
):
    """NIR of August 1955, a birth date in another year or month: the birth date is marked,
    the message naming what the number says and what was typed."""
    response = identity_step(app, client, birthdate=birthdate)
    assert response.status_code == 400
    assert error_of(response, "birthdate") == (
        f"Le numéro de sécurité sociale indique une naissance {nir_says}, mais la date de "
        f"naissance saisie est {typed} : vérifiez l'un ou l'autre."
    )


def with_key(first13: str) -> str:
    return first13 + f"{nir.compute_key(first13):02d}"


def test_special_numbers_follow_insee_rules():
    """Temporary (7/8) and foreign-born (3/4) numbers carry the sex too; a month of 20–42
    or 50–99 (month unknown to the civil status) agrees with any birth date."""
    born = date(1985, 3, 14)
    assert nir.disagreement(with_key("7850399123456"), "m", born) is None
    assert nir.disagreement(with_key("8850399123456"), "m", born).field == "civility"
    assert nir.disagreement(with_key("4850399123456"), "mme", born) is None
    assert nir.disagreement(with_key("2852075116001"), "mme", born) is None
    assert nir.disagreement(with_key("2859975116001"), "mme", born) is None
    assert nir.disagreement(with_key("2850475116001"), "mme", born).field == "birthdate"
    assert nir.disagreement(with_key("2850375116001"), None, None) is None
