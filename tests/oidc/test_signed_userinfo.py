"""Signed userinfo (OpenID Connect Core 5.3.2, userinfo_signed_response_alg): a client that
registered an algorithm receives `application/jwt` signed by Compte's current key of that
algorithm, verified here with the JWKS alone; every other client keeps plain JSON (on
PostgreSQL the lean path answers those and hands signed ones to the full path). The
setting comes from dynamic registration, the console or the admin form."""

from __future__ import annotations

import functools
from collections import Counter

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp import create_app
from idp.core.extensions import db
from idp.oidc import lean
from idp.oidc.client_registration_endpoints import issue_initial_access_token
from idp.oidc.client_rules import ClientError
from idp.oidc.clients import create_client, get_client
from tests.oidc.helpers import tokens_in_process
from tests.support.accounts import make_admin
from tests.support.forms import csrf_of
from tests.support.sessions import TWO_FACTORS, signed_in

SCOPE = "openid profile email"


@pytest.fixture
def userinfo_views(app) -> Counter:
    """How many userinfo requests reached Flask (the full path) rather than the lean one."""
    calls: Counter = Counter()
    view = app.view_functions["oidc.userinfo"]

    @functools.wraps(view)  # the same name: the CSRF exemption still applies
    def counting(*args, **kwargs):
        calls["full path"] += 1
        return view(*args, **kwargs)

    app.view_functions["oidc.userinfo"] = counting
    return calls


def _userinfo(app, access_token: str):
    return app.test_client().get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )


def _verified(app, compact: str, client_id: str, alg: str) -> dict:
    """The claims of a JWT from Compte, checked by an independent verifier with nothing
    but the published JWKS: signature, alg, kid, iss, aud and sub."""
    jwks = KeySet.import_key_set(app.test_client().get("/oauth/jwks").json)
    token = jwt.decode(compact, jwks, algorithms=[alg])
    assert token.header["alg"] == alg
    assert token.header["kid"] in {key.kid for key in jwks.keys}
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": app.config["ISSUER"]},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
    ).validate(token.claims)
    return token.claims


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_signed_userinfo_verifies_with_the_jwks(app, person, make_rp, userinfo_views, alg):
    """application/jwt signed with the client's algorithm, its kid in JWKS; iss, aud, the
    ID token's sub and the scope's claims; never cached; the full path signs it, on
    PostgreSQL too (the lean path hands it on)."""
    rp = make_rp(first_party=True, userinfo_alg=alg)
    tokens = tokens_in_process(app, person, rp, scope=SCOPE)
    answer = _userinfo(app, tokens["access_token"])
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/jwt"
    assert answer.headers.getlist("Cache-Control") == ["no-store"]
    claims = _verified(app, answer.get_data(as_text=True), rp.client_id, alg)
    id_claims = _verified(app, tokens["id_token"], rp.client_id, "RS256")
    assert claims["sub"] == id_claims["sub"] == person.sub
    assert claims["email"] == person.email and claims["given_name"] == "Ivan"
    assert "phone_number" not in claims  # not asked for
    assert userinfo_views["full path"] == 1


def test_a_client_without_the_setting_gets_json(app, person, make_rp, userinfo_views, backend):
    """No userinfo_signed_response_alg: plain JSON, answered by the lean path on
    PostgreSQL and by the full path on SQLite."""
    rp = make_rp(first_party=True)
    tokens = tokens_in_process(app, person, rp, scope=SCOPE)
    answer = _userinfo(app, tokens["access_token"])
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json["sub"] == person.sub and "iss" not in answer.json
    assert userinfo_views["full path"] == (0 if backend == "postgresql" else 1)


def test_discovery_lists_the_userinfo_signing_algorithms(client):
    """Discovery says which algorithms userinfo may be signed with."""
    config = client.get("/.well-known/openid-configuration").json
    assert config["userinfo_signing_alg_values_supported"] == ["RS256", "ES256"]


def test_a_narrowed_setting_refuses_new_es256_and_keeps_old_clients(
    app, settings, tmp_path, person, make_rp
):
    """OIDC_SIGNING_ALGS = RS256 only: discovery offers RS256, a new client cannot choose
    ES256 (a clear message), a client registered with it before keeps its ES256 answers."""
    earlier = make_rp(first_party=True, userinfo_alg="ES256")
    access_token = tokens_in_process(app, person, earlier, scope=SCOPE)["access_token"]
    narrowed = create_app({**settings, "OIDC_SIGNING_ALGS": ["RS256"]}, str(tmp_path / "rs"))
    try:
        config = narrowed.test_client().get("/.well-known/openid-configuration").json
        assert config["userinfo_signing_alg_values_supported"] == ["RS256"]
        with narrowed.app_context(), pytest.raises(ClientError, match="RS256") as refused:
            create_client("Nouveau", redirect_uris=["https://n.example/cb"], userinfo_alg="ES256")
        assert refused.value.field == "userinfo_alg"
        answer = _userinfo(narrowed, access_token)
        assert answer.headers["Content-Type"] == "application/jwt"
        assert _verified(narrowed, answer.get_data(as_text=True), earlier.client_id, "ES256")
    finally:
        lean.dispose(narrowed)
        with narrowed.app_context():
            db.session.remove()
            db.engine.dispose()


# --- Where the setting comes from ---------------------------------------------------------

METADATA = {
    "client_name": "Portail signé",
    "redirect_uris": ["https://portail.example/cb"],
    "scope": "openid email",
    "userinfo_signed_response_alg": "ES256",
}


def _initial_token(app) -> dict[str, str]:
    with app.app_context():
        _, plain = issue_initial_access_token(None, max_uses=None)
        db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def _alg_of(app, client_id: str) -> str | None:
    with app.app_context():
        return get_client(client_id).userinfo_signed_response_alg


def test_dynamic_registration_takes_reads_and_updates_it(app, client):
    """RFC 7591: registered and given back; RFC 7592: read back, changed, and left out
    of an update (a full replacement) it goes back to JSON."""
    created = client.post("/oauth/register", json=METADATA, headers=_initial_token(app))
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.json
    assert body["userinfo_signed_response_alg"] == "ES256"
    uri = "/oauth/register/" + body["client_id"]
    manage = {"Authorization": f"Bearer {body['registration_access_token']}"}
    assert client.get(uri, headers=manage).json["userinfo_signed_response_alg"] == "ES256"
    update = {**METADATA, "client_id": body["client_id"], "userinfo_signed_response_alg": "RS256"}
    updated = client.put(uri, json=update, headers=manage)
    assert updated.status_code == 200, updated.get_data(as_text=True)
    assert updated.json["userinfo_signed_response_alg"] == "RS256"
    del update["userinfo_signed_response_alg"]
    plain = client.put(uri, json=update, headers=manage)
    assert plain.status_code == 200 and "userinfo_signed_response_alg" not in plain.json
    assert _alg_of(app, body["client_id"]) is None


@pytest.mark.parametrize("value", ["HS256", "none", "PS256"])
def test_dynamic_registration_refuses_an_algorithm_compte_does_not_sign_with(app, client, value):
    """An algorithm Compte has no key for (or "none") is invalid_client_metadata."""
    wrong = {**METADATA, "userinfo_signed_response_alg": value}
    answer = client.post("/oauth/register", json=wrong, headers=_initial_token(app))
    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_client_metadata"
    assert "userinfo_signed_response_alg" in answer.json["error_description"]


def test_the_console_sets_changes_and_refuses(app, cli):
    """`compte clients add|update --userinfo-signed-response-alg`: set, shown, back to
    JSON with `none`; an unknown value is refused with the accepted ones."""
    added = cli(
        "clients", "add", "--name", "Console", "--redirect-uri", "https://console.example/cb",
        "--userinfo-signed-response-alg", "ES256", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    client_id = added.output.split('"client_id": "')[1].split('"')[0]
    assert _alg_of(app, client_id) == "ES256"
    assert '"userinfo_alg": "ES256"' in cli("clients", "show", client_id, "--json").output
    assert cli("clients", "update", client_id, "--userinfo-alg", "none").exit_code == 0
    assert _alg_of(app, client_id) is None
    wrong = cli("clients", "update", client_id, "--userinfo-alg", "HS256")
    assert wrong.exit_code == 2 and "'RS256'" in wrong.output
    assert _alg_of(app, client_id) is None


def test_the_admin_form_sets_and_clears_it(app, make_rp):
    """The admin form's "Réponse userinfo": JSON by default, "signée ES256" chosen and
    shown again, then back to JSON."""
    rp = make_rp("Formulaire")
    admin = signed_in(app, make_admin(app), TWO_FACTORS)
    url = f"/admin/clients/{rp.client_id}"
    page = admin.get(url).get_data(as_text=True)
    assert "Réponse userinfo" in page and "JSON (non signée)" in page
    assert "signée RS256" in page and "signée ES256" in page
    form = {
        "csrf_token": csrf_of(page),
        "name": "Formulaire",
        "redirect_uris": "http://127.0.0.1:9/callback",
        "auth_method": "client_secret_basic",
        "scopes": ["openid", "email"],
        "grant_types": ["authorization_code"],
        "id_token_alg": "RS256",
        "access_token_format": "opaque",
        "userinfo_alg": "ES256",
    }
    saved = admin.post(url, data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    assert _alg_of(app, rp.client_id) == "ES256"
    assert '<option selected value="ES256">' in admin.get(url).get_data(as_text=True)
    assert admin.post(url, data={**form, "userinfo_alg": ""}).status_code == 302
    assert _alg_of(app, rp.client_id) is None
    refused = admin.post(url, data={**form, "userinfo_alg": "HS256"})
    assert refused.status_code == 200 and "pas un choix valide" in refused.get_data(as_text=True)
