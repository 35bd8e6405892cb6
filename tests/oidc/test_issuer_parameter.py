"""RFC 9207: every authorization response that goes back to a client names the issuer
(`iss`), success or error, in the query or in a form_post; the explanation page shown when
the redirect URI is not validated is no response to a client and carries none."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from idp.oidc.capabilities import SUPPORTED
from tests.oidc.helpers import authorize_params, pkce
from tests.support.forms import csrf_of
from tests.support.sessions import signed_in

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@pytest.fixture
def first_party(make_rp):
    """A first-party client (no consent page)."""
    return make_rp("Maison", first_party=True)


def _back(response, rp) -> dict[str, str]:
    """The parameters of a redirect to the client's redirect URI (checked)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(rp.redirect_uri + "?"), location
    params = parse_qs(urlsplit(location).query)
    assert all(len(values) == 1 for values in params.values()), params  # iss once
    return {k: v[0] for k, v in params.items()}


def _posted(response, rp) -> dict[str, str]:
    """The fields of a response_mode=form_post page (checked to post to the client)."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'action="{rp.redirect_uri}"' in html, html[:500]
    fields = HIDDEN.findall(html)
    assert len({name for name, _ in fields}) == len(fields), fields  # iss once
    return {name: unescape(value) for name, value in fields}


def test_discovery_says_iss_is_sent(client):
    """authorization_response_iss_parameter_supported is true."""
    config = client.get("/.well-known/openid-configuration").json
    assert config["authorization_response_iss_parameter_supported"] is True


def test_a_code_comes_back_with_iss(app, person, first_party):
    """Success in the query: code, state and iss = the issuer."""
    _, challenge = pkce()
    params = authorize_params(first_party, challenge)
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    back = _back(response, first_party)
    assert back["iss"] == app.config["ISSUER"] and back["state"] == params["state"]
    assert back["code"]


def test_a_code_in_a_form_post_comes_with_iss(app, person, first_party):
    """Success with response_mode=form_post: the hidden fields hold iss too."""
    _, challenge = pkce()
    params = authorize_params(first_party, challenge, response_mode="form_post")
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    fields = _posted(response, first_party)
    assert fields["iss"] == app.config["ISSUER"] and fields["state"] == params["state"]
    assert fields["code"]


def test_a_refusal_comes_back_with_iss(app, person, rp):
    """The person refuses on the consent page: access_denied, with state and iss."""
    params = authorize_params(rp)
    browser = signed_in(app, person.id)
    page = browser.get("/oauth/authorize", query_string=params)
    assert page.status_code == 200 and 'name="refuse"' in page.get_data(as_text=True)
    refused = browser.post(
        "/oauth/authorize",
        query_string=params,
        data={"csrf_token": csrf_of(page.get_data(as_text=True)), "refuse": "1"},
    )
    back = _back(refused, rp)
    assert back["error"] == "access_denied" and back["iss"] == app.config["ISSUER"]
    assert back["state"] == params["state"]


def test_login_required_comes_back_with_iss(app, first_party):
    """prompt=none without a session: login_required, with iss; in a form_post too."""
    params = authorize_params(first_party, prompt="none")
    back = _back(app.test_client().get("/oauth/authorize", query_string=params), first_party)
    assert back["error"] == "login_required" and back["iss"] == app.config["ISSUER"]
    posted = app.test_client().get(
        "/oauth/authorize", query_string={**params, "response_mode": "form_post"}
    )
    fields = _posted(posted, first_party)
    assert fields["error"] == "login_required" and fields["iss"] == app.config["ISSUER"]


def test_consent_required_comes_back_with_iss(app, person, rp):
    """prompt=none when consent is still to give: consent_required, with iss."""
    params = authorize_params(rp, prompt="none")
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    back = _back(response, rp)
    assert back["error"] == "consent_required" and back["iss"] == app.config["ISSUER"]


def test_invalid_scope_comes_back_with_iss(app, person, first_party):
    """An error Authlib finds while validating the request (invalid_scope, for a scope it
    does not know once told which it supports; Compte itself narrows a request to the
    client's scopes): to the client, with iss."""
    app.extensions["compte.oauth"].server.scopes_supported = list(SUPPORTED.scopes)
    params = authorize_params(first_party, scope="openid teleportation")
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    back = _back(response, first_party)
    assert back["error"] == "invalid_scope" and back["iss"] == app.config["ISSUER"]


def test_a_parameter_out_of_bounds_comes_back_with_iss(app, first_party):
    """invalid_request found before Authlib (a bound broken, redirect URI valid): iss."""
    params = authorize_params(first_party, nonce="n" * 300)
    back = _back(app.test_client().get("/oauth/authorize", query_string=params), first_party)
    assert back["error"] == "invalid_request" and back["iss"] == app.config["ISSUER"]


def test_the_error_page_for_an_unknown_redirect_uri_has_no_iss(app, first_party):
    """A redirect URI not registered: Compte's own page (400), no redirect, no iss."""
    params = authorize_params(first_party, redirect_uri="https://attacker.example/cb")
    response = app.test_client().get("/oauth/authorize", query_string=params)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "invalid_request" in response.get_data(as_text=True)
