"""The `claims` request parameter (OpenID Connect Core 5.5): claims asked one by one for the
ID token or for userinfo, within what the client may have; an essential acr as a demand;
malformed requests refused to the client; the userinfo request kept through refresh
rotation on both paths; consent naming what is asked beyond the scopes. In-process."""

from __future__ import annotations

import functools
import json
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt

from idp import create_app
from idp.core.extensions import db
from idp.oidc.capabilities import ACR, ACR_MFA
from idp.oidc.keys import keyring
from idp.oidc.models import Token
from tests.oidc.helpers import (
    authorize_params,
    code_in_process,
    exchange_in_process,
    pkce,
    refresh_in_process,
)
from tests.support.factors import give_totp
from tests.support.forms import csrf_of
from tests.support.sessions import TWO_FACTORS, signed_in

NIR = "1800575123456" + f"{97 - 1800575123456 % 97:02d}"


@pytest.fixture
def rp(make_rp):
    """A first-party client (no consent page) allowed the default scopes."""
    return make_rp(first_party=True)


def _claims(**members) -> str:
    return json.dumps(members)


def _id_claims(app, id_token: str) -> dict:
    with app.app_context():
        return jwt.decode(id_token, keyring().public).claims


def _userinfo(app, access_token: str):
    return app.test_client().get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )


def _tokens(app, person, rp, scope: str = "openid", **params) -> dict:
    """Code flow with PKCE for a signed-in person; the token endpoint's answer."""
    verifier, challenge = pkce()
    code = code_in_process(app, person, rp, challenge, scope=scope, **params)
    answer = exchange_in_process(app, rp, code, verifier)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def _back(response) -> dict[str, str]:
    """The parameters of a redirect to the client."""
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def test_discovery_says_the_claims_parameter_is_supported(client):
    """Discovery advertises claims_parameter_supported: true."""
    assert client.get("/.well-known/openid-configuration").json["claims_parameter_supported"]


def test_a_claim_asked_for_the_id_token_goes_only_there(app, person, rp):
    """{"id_token": {"email": null}} with scope openid: the ID token has the e-mail,
    userinfo does not."""
    tokens = _tokens(app, person, rp, claims=_claims(id_token={"email": None}))
    assert _id_claims(app, tokens["id_token"])["email"] == person.email
    info = _userinfo(app, tokens["access_token"]).json
    assert info == {"sub": person.sub}


def test_a_claim_asked_for_userinfo_goes_only_there(app, person, rp):
    """{"userinfo": {"given_name": {"essential": true}}} with scope openid: userinfo has
    the first name, the ID token does not."""
    asked = _claims(userinfo={"given_name": {"essential": True}})
    tokens = _tokens(app, person, rp, claims=asked)
    assert _userinfo(app, tokens["access_token"]).json == {"sub": person.sub, "given_name": "Ivan"}
    assert "given_name" not in _id_claims(app, tokens["id_token"])


def test_scope_claims_are_still_in_both(app, person, rp):
    """A claims request adds to the scope's claims, which stay in the ID token and userinfo."""
    asked = _claims(userinfo={"given_name": None})
    tokens = _tokens(app, person, rp, scope="openid email", claims=asked)
    assert _id_claims(app, tokens["id_token"])["email"] == person.email
    info = _userinfo(app, tokens["access_token"]).json
    assert info["email"] == person.email and info["given_name"] == "Ivan"


def test_unknown_members_and_claims_are_ignored(app, person, rp):
    """Claims and members Compte does not know are ignored, not refused (5.5)."""
    asked = _claims(id_token={"favourite_colour": {"essential": True}}, other={"x": 1})
    tokens = _tokens(app, person, rp, claims=asked)
    assert "favourite_colour" not in _id_claims(app, tokens["id_token"])


def test_a_claim_of_a_scope_the_client_may_not_ask_is_not_released(app, person, rp, make_rp):
    """nir asked by name, for both, by a client not allowed the nir scope: released to
    neither; a client allowed it gets it."""
    asked = _claims(id_token={"nir": {"essential": True}}, userinfo={"nir": None})
    tokens = _tokens(app, person, rp, claims=asked)
    assert "nir" not in _id_claims(app, tokens["id_token"])
    assert "nir" not in _userinfo(app, tokens["access_token"]).json
    allowed = make_rp("Avec NIR", first_party=True, scopes=["openid", "nir"])
    granted = _tokens(app, person, allowed, claims=asked)
    assert _id_claims(app, granted["id_token"])["nir"] == NIR
    assert _userinfo(app, granted["access_token"]).json["nir"] == NIR


def test_essential_amr_and_auth_time_are_in_the_id_token(app, person, rp):
    """ProConnect's own example, {"id_token": {"amr": {"essential": true}}}, with
    auth_time asked too: both are in the ID token."""
    asked = _claims(id_token={"amr": {"essential": True}, "auth_time": {"essential": True}})
    claims = _id_claims(app, _tokens(app, person, rp, claims=asked)["id_token"])
    assert claims["amr"] == ["pwd"] and isinstance(claims["auth_time"], int)


def test_an_essential_two_factor_acr_asks_the_second_factor(app, person, rp):
    """An essential acr naming only the two-factor class, in a password session: the
    person is sent to the second step before any code."""
    give_totp(app, person.id)
    asked = _claims(id_token={"acr": {"essential": True, "values": [ACR_MFA]}})
    params = authorize_params(rp, pkce()[1], scope="openid", claims=asked)
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/verify")


def test_an_essential_two_factor_acr_with_prompt_none_is_unmet(app, person, rp):
    """The same with prompt=none: unmet_authentication_requirements, with the state."""
    give_totp(app, person.id)
    asked = _claims(id_token={"acr": {"essential": True, "values": [ACR_MFA]}})
    params = authorize_params(rp, pkce()[1], scope="openid", claims=asked, prompt="none")
    back = _back(signed_in(app, person.id).get("/oauth/authorize", query_string=params))
    assert back["error"] == "unmet_authentication_requirements"
    assert back["state"] == params["state"]


def test_an_essential_two_factor_acr_met_by_the_session(app, person, rp):
    """A session that used two factors gets its code at once, the ID token saying so."""
    asked = _claims(id_token={"acr": {"essential": True, "values": [ACR_MFA]}})
    verifier, challenge = pkce()
    params = authorize_params(rp, challenge, scope="openid", claims=asked)
    response = signed_in(app, person.id, TWO_FACTORS).get("/oauth/authorize", query_string=params)
    answer = exchange_in_process(app, rp, _back(response)["code"], verifier)
    assert _id_claims(app, answer.json["id_token"])["acr"] == ACR_MFA


def test_an_essential_acr_compte_cannot_meet_is_refused(app, person, rp):
    """An essential acr whose values Compte does not offer: unmet_authentication_requirements
    at once, without asking anything of the person."""
    asked = _claims(id_token={"acr": {"essential": True, "values": ["eidas3"]}})
    params = authorize_params(rp, pkce()[1], scope="openid", claims=asked)
    back = _back(signed_in(app, person.id).get("/oauth/authorize", query_string=params))
    assert back["error"] == "unmet_authentication_requirements"
    assert back["state"] == params["state"]


def test_voluntary_acr_values_are_never_an_error(app, person, rp):
    """A voluntary acr Compte cannot meet, or two factors for a person without a second
    one: the code is issued, the ID token saying how the person signed in."""
    for values in (["eidas3"], [ACR_MFA]):
        asked = _claims(id_token={"acr": {"values": values}})
        claims = _id_claims(app, _tokens(app, person, rp, claims=asked)["id_token"])
        assert claims["acr"] == ACR


def test_a_voluntary_two_factor_acr_asks_a_person_who_has_a_second_factor(app, person, rp):
    """A voluntary two-factor acr: a person with a second factor passes it (best effort);
    with prompt=none the code comes at once, one factor."""
    give_totp(app, person.id)
    asked = _claims(id_token={"acr": {"values": [ACR_MFA]}})
    params = authorize_params(rp, pkce()[1], scope="openid", claims=asked)
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/verify")
    quiet = signed_in(app, person.id).get(
        "/oauth/authorize", query_string={**params, "prompt": "none", "nonce": "autre"}
    )
    assert "code" in _back(quiet)


def test_an_essential_acr_comes_back_as_one_of_its_values(app, person, rp):
    """An essential acr of the one-factor class in a two-factor session: the ID token's
    acr is the value asked (every sign-in meets it; 5.5.1.1 wants one of the values)."""
    asked = _claims(id_token={"acr": {"essential": True, "values": [ACR]}})
    verifier, challenge = pkce()
    params = authorize_params(rp, challenge, scope="openid", claims=asked)
    response = signed_in(app, person.id, TWO_FACTORS).get("/oauth/authorize", query_string=params)
    answer = exchange_in_process(app, rp, _back(response)["code"], verifier)
    claims = _id_claims(app, answer.json["id_token"])
    assert claims["acr"] == ACR and "mfa" in claims["amr"]


@pytest.mark.parametrize(
    ("claims", "said"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"id_token": ["email"]}', "'id_token' must be an object"),
        ('{"userinfo": {"email": "yes"}}', "'userinfo.email' must be null or an object"),
        ('{"id_token": {"amr": {"essential": "yes"}}}', "essential must be true or false"),
        ('{"id_token": {"acr": {"values": "eidas1"}}}', "values must be an array"),
        ('{"id_token": ' * 9 + "1" + "}" * 9, "nested too deeply"),
        ("[" * 3000, "nested too deeply"),
        (json.dumps({"id_token": {f"c{n}": None for n in range(101)}}), "more than 100 claims"),
    ],
)
def test_a_malformed_claims_request_is_an_invalid_request(app, person, rp, claims, said):
    """Not JSON, not an object, a member or a claim's request of the wrong kind, a
    non-boolean essential, values not an array, nesting deep enough to exhaust the JSON
    decoder (once a 500) or merely absurd, too many claims:
    invalid_request at the client's redirect URI with its state, saying which part is
    wrong."""
    params = authorize_params(rp, pkce()[1], scope="openid", claims=claims)
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(rp.redirect_uri)
    back = _back(response)
    assert back["error"] == "invalid_request" and back["state"] == params["state"]
    assert said in back["error_description"]


def test_a_subject_asked_by_value_is_never_answered_for_someone_else(app, person, rp):
    """{"id_token": {"sub": {"value": …}}} naming another person, with prompt=none:
    login_required, never a code for the signed-in person (5.5.1)."""
    asked = _claims(id_token={"sub": {"value": "someone-else"}})
    params = authorize_params(rp, pkce()[1], scope="openid", claims=asked, prompt="none")
    back = _back(signed_in(app, person.id).get("/oauth/authorize", query_string=params))
    assert back["error"] == "login_required" and "code" not in back
    mine = _claims(id_token={"sub": {"value": person.sub}})
    assert "sub" in _id_claims(app, _tokens(app, person, rp, claims=mine)["id_token"])


def test_the_userinfo_request_survives_refresh_rotation(app, person, rp):
    """The claims asked for userinfo stay with every token of the family: after two
    refreshes, userinfo still answers them."""
    asked = _claims(userinfo={"given_name": None}, id_token={"email": None})
    tokens = _tokens(app, person, rp, scope="openid offline_access", claims=asked)
    for _ in range(2):
        tokens = refresh_in_process(app, rp, tokens["refresh_token"]).json
    assert _userinfo(app, tokens["access_token"]).json == {"sub": person.sub, "given_name": "Ivan"}
    with app.app_context():
        rows = db.session.scalars(db.select(Token).where(Token.account_id == person.id)).all()
        assert len(rows) == 3 and all(row.claims == {"given_name": None} for row in rows)


@pytest.fixture
def full_app(settings, tmp_path):
    """A second app on the same database with the lean path switched off."""
    application = create_app({**settings, "OIDC_LEAN_PATH": False}, str(tmp_path / "full"))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _count_views(application, names: tuple[str, ...]) -> Counter:
    """How many requests each of these views of `application` served from now on."""
    calls: Counter = Counter()
    for name in names:
        view = application.view_functions[name]

        @functools.wraps(view)  # the same name: Flask-WTF's CSRF exemption still applies
        def counting(*args, _view=view, _name=name, **kwargs):
            calls[_name] += 1
            return _view(*args, **kwargs)

        application.view_functions[name] = counting
    return calls


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_lean_path_keeps_and_answers_the_userinfo_request(app, full_app, person, rp):
    """On PostgreSQL the lean path rotates the refresh token (the child keeps the claims
    asked) and answers userinfo with them, exactly as the full path does."""
    asked = _claims(userinfo={"given_name": {"essential": True}, "nir": None})
    tokens = _tokens(app, person, rp, scope="openid email offline_access", claims=asked)
    flask_calls = _count_views(app, ("oidc.token", "oidc.userinfo"))
    refreshed = refresh_in_process(app, rp, tokens["refresh_token"])
    assert refreshed.status_code == 200
    lean = _userinfo(app, refreshed.json["access_token"])
    full = _userinfo(full_app, refreshed.json["access_token"])
    assert flask_calls == Counter(), "the lean path answered both requests"
    assert lean.status_code == full.status_code == 200
    assert lean.json == full.json
    assert lean.json["given_name"] == "Ivan" and lean.json["email"] == person.email
    assert "nir" not in lean.json  # the client may not ask for the nir scope


def test_the_consent_page_names_a_claim_asked_beyond_the_scopes(app, person, make_rp):
    """A claim asked beyond the scopes is named on the consent page; accepting releases it,
    and the consent remembered for the scopes does not cover it: asked again next time."""
    rp = make_rp("Formadist")
    verifier, challenge = pkce()
    asked = _claims(userinfo={"email": {"essential": True}})
    params = authorize_params(rp, challenge, scope="openid", claims=asked)
    browser = signed_in(app, person.id)
    page = browser.get("/oauth/authorize", query_string=params)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Votre adresse électronique" in text
    done = browser.post(
        "/oauth/authorize",
        query_string=params,
        data={"csrf_token": csrf_of(text), "accept": "1"},
    )
    answer = exchange_in_process(app, rp, _back(done)["code"], verifier)
    assert _userinfo(app, answer.json["access_token"]).json["email"] == person.email
    again = browser.get("/oauth/authorize", query_string={**params, "nonce": "encore"})
    assert again.status_code == 200
    assert "Votre adresse électronique" in again.get_data(as_text=True)
    plain = {k: v for k, v in params.items() if k != "claims"} | {"nonce": "sans-claims"}
    back = _back(browser.get("/oauth/authorize", query_string=plain))
    assert "code" in back, "the scopes alone were consented to already"
