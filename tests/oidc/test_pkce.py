"""PKCE (S256 only): a code bound to a challenge is exchanged only with its verifier;
public clients must send a challenge. In-process over HTTP (Flask's test client)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.oidc.helpers import (
    authorize_params,
    code_in_process,
    exchange_in_process,
    pkce,
)
from tests.support.sessions import signed_in


def test_a_wrong_verifier_gets_no_tokens(app, person, make_rp):
    """A verifier that does not match the challenge gets invalid_grant and no tokens."""
    rp = make_rp(first_party=True)
    code = code_in_process(app, person, rp, pkce()[1])
    wrong = exchange_in_process(app, rp, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    assert "access_token" not in wrong.json


def test_a_missing_verifier_gets_no_tokens(app, person, make_rp):
    """A code bound to a challenge, exchanged without code_verifier, gets an error and no
    tokens."""
    rp = make_rp(first_party=True)
    code = code_in_process(app, person, rp, pkce()[1])
    answer = exchange_in_process(app, rp, code)
    assert answer.status_code == 400
    assert answer.json["error"] in ("invalid_request", "invalid_grant")
    assert "access_token" not in answer.json


def test_the_right_verifier_gets_the_tokens(app, person, make_rp):
    """The verifier of the challenge gets an access token and an ID token."""
    rp = make_rp(first_party=True)
    verifier, challenge = pkce()
    answer = exchange_in_process(app, rp, code_in_process(app, person, rp, challenge), verifier)
    assert answer.status_code == 200 and {"access_token", "id_token"} <= set(answer.json)


def test_a_public_client_must_send_a_challenge(app, person, make_rp):
    """A public client's authorization request without code_challenge goes back to it
    as invalid_request (with its state), without a code."""
    rp = make_rp("Appli mobile", auth_method="none", first_party=True)
    params = authorize_params(rp)
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(rp.redirect_uri)
    back = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    assert back["error"] == "invalid_request" and back["state"] == params["state"]
    assert "code" not in back


def test_a_public_client_exchanges_with_its_verifier_only(app, person, make_rp):
    """A public client (no secret) gets tokens with the right verifier, and nothing with a
    wrong one."""
    rp = make_rp("Appli mobile", auth_method="none", first_party=True)
    client = app.test_client()

    def exchange(code: str, verifier: str):
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": rp.redirect_uri,
            "client_id": rp.client_id,
            "code_verifier": verifier,
        }
        return client.post("/oauth/token", data=data)

    verifier, challenge = pkce()
    wrong = exchange(code_in_process(app, person, rp, challenge), pkce()[0])
    assert wrong.status_code == 400 and "access_token" not in wrong.json
    verifier, challenge = pkce()
    right = exchange(code_in_process(app, person, rp, challenge), verifier)
    assert right.status_code == 200 and right.json["access_token"]


def test_plain_method_is_refused(app, person, make_rp):
    """code_challenge_method=plain is refused: invalid_request back to the client."""
    rp = make_rp(first_party=True)
    verifier, _challenge = pkce()
    params = authorize_params(rp, code_challenge=verifier, code_challenge_method="plain")
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=params)
    assert response.status_code == 302
    back = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    assert back["error"] == "invalid_request" and "code" not in back
