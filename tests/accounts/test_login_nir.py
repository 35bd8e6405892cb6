"""Login with the social security number (NIR) in the `cpf` preset."""

from __future__ import annotations

import pytest

from idp.accounts.nir import compute_key
from tests.support.accounts import PASSWORD, login, make_account, text

FIRST13 = "2550814168025"
NIR = FIRST13 + f"{compute_key(FIRST13):02d}"
CPF_PASSWORD = "Lapinou123"


@pytest.fixture
def settings(settings):
    return {**settings, "PRESET": "cpf", "PASSWORD_POLICY": "cpf", "LOGIN_WITH_NIR": True}


def test_login_with_the_nir_in_any_spacing(app, client):
    """The NIR, typed with spaces, logs in; so does the e-mail."""
    make_account(app, password=CPF_PASSWORD, nir=NIR)
    assert "Courriel ou numéro de sécurité sociale" in text(client.get("/login"))
    spaced = " ".join((NIR[0], NIR[1:3], NIR[3:5], NIR[5:7], NIR[7:10], NIR[10:13], NIR[13:]))
    response = login(client, spaced, CPF_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_wrong_nir_or_password_gets_the_generic_message(app, client):
    """An unknown NIR and a wrong password give the same answer."""
    make_account(app, password=CPF_PASSWORD, nir=NIR)
    assert "Identifiant ou mot de passe incorrect." in text(login(client, NIR, PASSWORD))
    other = "1" + NIR[1:]
    assert "Identifiant ou mot de passe incorrect." in text(login(client, other, CPF_PASSWORD))


def test_nir_login_is_off_in_the_cnfpt_preset(app, client):
    """Where LOGIN_WITH_NIR is off, the NIR is not an identifier."""
    app.config["LOGIN_WITH_NIR"] = False
    make_account(app, password=CPF_PASSWORD, nir=NIR)
    assert "Identifiant ou mot de passe incorrect." in text(login(client, NIR, CPF_PASSWORD))
