"""Asking for two factors: acr_values and clients that require them get a step-up inside an
existing password session; the ID token's amr and acr say what was used; prompt=none
answers unmet_authentication_requirements. In-process (Flask's test client)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt

from idp.core.extensions import db
from idp.oidc.capabilities import ACR, ACR_MFA
from idp.oidc.client_registration_endpoints import issue_initial_access_token
from idp.oidc.keys import keyring
from tests.oidc.helpers import authorize_params, exchange_in_process, pkce
from tests.support.factors import give_totp
from tests.support.forms import csrf_of
from tests.support.sessions import signed_in


@pytest.fixture
def rp(make_rp):
    """A first-party client (no consent page)."""
    return make_rp(first_party=True)


def _id_claims(app, id_token: str) -> dict:
    with app.app_context():
        return jwt.decode(id_token, keyring().public).claims


def _redirected_code(response, rp) -> str:
    location = response.headers["Location"]
    assert location.startswith(rp.redirect_uri), location
    back = parse_qs(urlsplit(location).query)
    assert "error" not in back, back
    return back["code"][0]


def _id_token(app, rp, code: str, verifier: str) -> dict:
    answer = exchange_in_process(app, rp, code, verifier)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return _id_claims(app, answer.json["id_token"])


def test_discovery_advertises_both_acr_values(client):
    """acr_values_supported lists the one-factor and the two-factor classes."""
    config = client.get("/.well-known/openid-configuration").json
    assert config["acr_values_supported"] == [ACR, ACR_MFA]


def test_a_password_session_gives_pwd_and_eidas1(app, person, rp):
    """Without a second factor asked, the ID token says a password was used, one factor."""
    verifier, challenge = pkce()
    browser = signed_in(app, person.id)
    response = browser.get("/oauth/authorize", query_string=authorize_params(rp, challenge))
    claims = _id_token(app, rp, _redirected_code(response, rp), verifier)
    assert claims["amr"] == ["pwd"] and claims["acr"] == ACR


def test_acr_values_ask_the_second_factor_inside_a_password_session(app, person, rp):
    """acr_values=<REFEDS MFA> in a password session: the second step, then the code; the
    ID token shows pwd, otp, mfa and the two-factor acr, with a fresh auth_time."""
    authenticator = give_totp(app, person.id)
    verifier, challenge = pkce()
    params = authorize_params(rp, challenge, acr_values=ACR_MFA)
    browser = signed_in(app, person.id)
    with browser.session_transaction() as session:
        session["auth_time"] = session["auth_time"] - 3600
    first = browser.get("/oauth/authorize", query_string=params)
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/verify")
    page = browser.get("/login/verify")
    assert "Ce service demande une vérification supplémentaire" in page.get_data(as_text=True)
    done = browser.post(
        "/login/verify?method=totp",
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "method": "totp",
            "code": authenticator.now(),
        },
    )
    assert done.status_code == 302 and "/oauth/authorize?" in done.headers["Location"]
    claims = _id_token(
        app, rp, _redirected_code(browser.get(done.headers["Location"]), rp), verifier
    )
    assert claims["amr"] == ["pwd", "otp", "totp", "mfa"] and claims["acr"] == ACR_MFA
    with browser.session_transaction() as session:
        assert claims["auth_time"] == session["auth_time"]


def test_a_sign_in_with_password_and_totp_says_so_in_both_vocabularies(app, person, rp):
    """Login page, password, then an authenticator code, for a service: the ID token's amr
    is pwd, otp (RFC 8176), totp (ProConnect), mfa, once each; acr the two-factor class."""
    authenticator = give_totp(app, person.id)
    verifier, challenge = pkce()
    browser = app.test_client()
    asked = browser.get("/oauth/authorize", query_string=authorize_params(rp, challenge))
    assert asked.status_code == 302 and "/login?" in asked.headers["Location"]
    login_page = browser.get(asked.headers["Location"])
    password = browser.post(
        asked.headers["Location"],
        data={
            "csrf_token": csrf_of(login_page.get_data(as_text=True)),
            "identifier": person.email,
            "password": person.password,
        },
    )
    assert password.headers["Location"] == "/login/verify"
    page = browser.get("/login/verify")
    done = browser.post(
        "/login/verify?method=totp",
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "method": "totp",
            "code": authenticator.now(),
        },
    )
    back = browser.get(done.headers["Location"])
    claims = _id_token(app, rp, _redirected_code(back, rp), verifier)
    assert claims["amr"] == ["pwd", "otp", "totp", "mfa"] and claims["acr"] == ACR_MFA


def test_prompt_none_answers_unmet_authentication_requirements(app, person, rp):
    """Two factors asked with prompt=none in a password session: the error goes back to
    the client at once, with its state."""
    give_totp(app, person.id)
    params = authorize_params(rp, None, acr_values=ACR_MFA, prompt="none")
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    back = parse_qs(urlsplit(response.headers["Location"]).query)
    assert back["error"] == ["unmet_authentication_requirements"]
    assert back["state"] == [params["state"]]


def test_one_factor_acceptable_asks_nothing_more(app, person, rp):
    """acr_values listing eidas1 too: a password session is acceptable, no second step."""
    give_totp(app, person.id)
    params = authorize_params(rp, None, acr_values=f"{ACR_MFA} {ACR}")
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    _redirected_code(response, rp)


def test_a_client_requiring_two_factors_asks_without_acr_values(app, person, make_rp):
    """A client registered with require_mfa gets the step-up on every request."""
    give_totp(app, person.id)
    strict = make_rp("Strict", first_party=True, require_mfa=True)
    response = signed_in(app, person.id).get(
        "/oauth/authorize", query_string=authorize_params(strict)
    )
    assert response.headers["Location"].endswith("/login/verify")


def test_a_two_factor_session_goes_straight_through(app, person, make_rp):
    """A session already signed in with two factors is not asked again."""
    strict = make_rp("Strict", first_party=True, require_mfa=True)
    verifier, challenge = pkce()
    browser = signed_in(app, person.id, ("pwd", "otp", "mfa"))
    response = browser.get("/oauth/authorize", query_string=authorize_params(strict, challenge))
    claims = _id_token(app, strict, _redirected_code(response, strict), verifier)
    assert claims["acr"] == ACR_MFA and "mfa" in claims["amr"]


def test_an_account_without_a_second_factor_is_led_to_set_one_up(app, person, make_rp):
    """Two factors required, none enrolled: the second step sends the person to the
    security page, which says why and will come back to the service."""
    strict = make_rp("Strict", first_party=True, require_mfa=True)
    browser = signed_in(app, person.id)
    browser.get("/oauth/authorize", query_string=authorize_params(strict))
    step = browser.get("/login/verify")
    assert step.status_code == 302 and "/account/security?next=" in step.headers["Location"]
    page = browser.get(step.headers["Location"]).get_data(as_text=True)
    assert "Pour continuer, ajoutez une deuxième méthode de vérification" in page


def test_dynamic_registration_default_acr_values(app, client):
    """default_acr_values of a self-registered client: the two-factor class makes it
    require two factors and is given back; an unknown value is invalid_client_metadata."""
    with app.app_context():
        _, token = issue_initial_access_token(None, max_uses=None)
        db.session.commit()
    metadata = {
        "client_name": "Portail",
        "redirect_uris": ["https://portail.example/cb"],
        "default_acr_values": [ACR_MFA],
    }
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/oauth/register", json=metadata, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.json["default_acr_values"] == [ACR_MFA]
    wrong = client.post(
        "/oauth/register",
        json={**metadata, "client_name": "Autre", "default_acr_values": ["eidas3"]},
        headers=headers,
    )
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_client_metadata"
