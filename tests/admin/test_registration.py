"""Dynamic Client Registration (RFC 7591) and client management (RFC 7592): closed
without an initial access token; created, read, updated and deleted with one."""

from __future__ import annotations

import requests

from idp.audit.models import AuditEvent
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.oidc.client_registration_endpoints import issue_initial_access_token
from idp.oidc.clients import get_client
from idp.oidc.models import InitialAccessToken

METADATA = {
    "client_name": "Portail partenaire",
    "redirect_uris": ["https://partenaire.example/callback"],
    "post_logout_redirect_uris": ["https://partenaire.example/"],
    "backchannel_logout_uri": "https://partenaire.example/logout",
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "scope": "openid profile email",
    "token_endpoint_auth_method": "client_secret_basic",
    "id_token_signed_response_alg": "ES256",
}


def initial_token(app, max_uses: int | None = 1, days: int = 7) -> str:
    with app.app_context():
        _, plain = issue_initial_access_token(None, expires_in_days=days, max_uses=max_uses)
        db.session.commit()
        return plain


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def client_count(app) -> int:
    from idp.oidc.models import Client

    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(Client))


def test_registration_is_closed_without_an_initial_access_token(app, client):
    """No token, an unknown token or a wrong scheme: 401 invalid_token, nothing created."""
    for headers in ({}, bearer("forged"), {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = client.post("/oauth/register", json=METADATA, headers=headers)
        assert response.status_code == 401, response.get_data(as_text=True)
        assert response.get_json()["error"] == "invalid_token"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client_count(app) == 0


def test_expired_revoked_or_used_up_tokens_are_refused(app, client):
    """An initial access token works max_uses times, and never once expired or revoked."""
    token = initial_token(app, max_uses=1)
    first = client.post("/oauth/register", json=METADATA, headers=bearer(token))
    assert first.status_code == 201
    again = client.post(
        "/oauth/register", json={**METADATA, "client_name": "Autre"}, headers=bearer(token)
    )
    assert again.status_code == 401
    expired = initial_token(app, days=1)
    revoked = initial_token(app)
    with app.app_context():
        rows = {r.token_hash: r for r in db.session.scalars(db.select(InitialAccessToken))}
        rows[secret_digest(expired)].expires_at = rows[secret_digest(expired)].created_at
        from idp.core.clock import utcnow

        rows[secret_digest(revoked)].revoked_at = utcnow()
        db.session.commit()
    for used in (expired, revoked):
        response = client.post(
            "/oauth/register", json={**METADATA, "client_name": "X"}, headers=bearer(used)
        )
        assert response.status_code == 401
    assert client_count(app) == 1


def test_register_read_update_delete_round_trip(app, live_server):
    """Over real HTTP: register (201 with secret, registration access token and URI), read,
    update, delete; only hashes are stored; each step is audited."""
    token = initial_token(app)
    created = requests.post(
        f"{live_server}/oauth/register", json=METADATA, headers=bearer(token), timeout=10
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["client_name"] == "Portail partenaire"
    assert body["redirect_uris"] == METADATA["redirect_uris"]
    assert body["id_token_signed_response_alg"] == "ES256"
    assert body["client_secret_expires_at"] == 0
    assert body["registration_client_uri"] == f"{live_server}/oauth/register/{body['client_id']}"
    assert created.headers["Cache-Control"] == "no-store"
    rat = body["registration_access_token"]
    with app.app_context():
        stored = get_client(body["client_id"])
        assert stored.client_secret_hash == secret_digest(body["client_secret"])
        assert stored.registration_access_token_hash == secret_digest(rat)
        assert stored.first_party is False

    uri = body["registration_client_uri"]
    read = requests.get(uri, headers=bearer(rat), timeout=10)
    assert read.status_code == 200
    assert read.json()["client_id"] == body["client_id"]
    assert read.json()["backchannel_logout_uri"] == "https://partenaire.example/logout"
    assert "client_secret" not in read.json()  # only its hash is kept
    assert read.json()["registration_access_token"] == rat

    update = {
        **METADATA,
        "client_id": body["client_id"],
        "redirect_uris": ["https://partenaire.example/cb2"],
        "scope": "openid email",
    }
    updated = requests.put(uri, json=update, headers=bearer(rat), timeout=10)
    assert updated.status_code == 200, updated.text
    assert updated.json()["redirect_uris"] == ["https://partenaire.example/cb2"]
    assert updated.json()["scope"] == "openid email"

    deleted = requests.delete(uri, headers=bearer(rat), timeout=10)
    assert deleted.status_code == 204
    with app.app_context():
        assert get_client(body["client_id"]) is None
    gone = requests.get(uri, headers=bearer(rat), timeout=10)
    assert gone.status_code == 401

    with app.app_context():
        types = list(db.session.scalars(db.select(AuditEvent.type).order_by(AuditEvent.id)))
    assert types == [
        "admin.initial_access_token.created",
        "client.registered",
        "client.updated_by_registration",
        "client.deleted_by_registration",
    ]


def test_management_needs_the_clients_own_registration_token(app, client):
    """Without a token, with a wrong one or with another client's (or an initial access
    token): 401; once an admin disables the client it may no longer manage itself: 403."""
    token = initial_token(app, max_uses=2)
    one = client.post("/oauth/register", json=METADATA, headers=bearer(token)).get_json()
    two = client.post(
        "/oauth/register", json={**METADATA, "client_name": "Deux"}, headers=bearer(token)
    ).get_json()
    uri = f"/oauth/register/{one['client_id']}"
    assert client.get(uri).status_code == 401
    assert client.get(uri, headers=bearer("nope")).status_code == 401
    assert client.get(uri, headers=bearer(two["registration_access_token"])).status_code == 401
    assert client.delete(uri, headers=bearer(two["registration_access_token"])).status_code == 401
    assert client.get(uri, headers=bearer(one["registration_access_token"])).status_code == 200
    with app.app_context():  # an admin disables it: the client may no longer manage itself
        from idp.oidc.clients import set_disabled

        set_disabled(get_client(one["client_id"]), True)
        db.session.commit()
    assert client.get(uri, headers=bearer(one["registration_access_token"])).status_code == 403
    assert (
        client.get(
            f"/oauth/register/{two['client_id']}", headers=bearer(initial_token(app))
        ).status_code
        == 401
    )


def test_metadata_follows_the_admin_rules(app, client):
    """The same rules as the admin pages, plus the limits of self-registered clients:
    no fragment, https outside localhost, no redirect URI for the code flow, no nir or
    invitations scope, private_key_jwt needs keys, unique name, first-party ignored."""
    token = initial_token(app, max_uses=None)
    cases = [
        ({"redirect_uris": ["https://p.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["http://p.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"scope": "openid nir"}, "invalid_client_metadata"),
        ({"scope": "openid invitations"}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "tls_client_auth"}, "invalid_client_metadata"),
        ({"backchannel_logout_uri": "http://p.example/bc"}, "invalid_client_metadata"),
        ({"client_name": ""}, "invalid_client_metadata"),
        ({"scope": ["openid"]}, "invalid_client_metadata"),
        ({"client_uri": 42}, "invalid_client_metadata"),
        ({"backchannel_logout_uri": {"x": 1}}, "invalid_client_metadata"),
        ({"redirect_uris": "https://p.example/cb"}, "invalid_redirect_uri"),
    ]
    for change, error in cases:
        response = client.post(
            "/oauth/register", json={**METADATA, **change}, headers=bearer(token)
        )
        assert response.status_code == 400, (change, response.get_data(as_text=True))
        assert response.get_json()["error"] == error, change
        assert response.get_json()["error_description"].isascii()
    assert client.post("/oauth/register", data="not json", headers=bearer(token)).status_code == 400
    assert client_count(app) == 0

    ok = client.post(
        "/oauth/register",
        json={**METADATA, "first_party": True, "redirect_uris": ["http://localhost:8080/cb"]},
        headers=bearer(token),
    )
    assert ok.status_code == 201
    with app.app_context():
        assert get_client(ok.get_json()["client_id"]).first_party is False
    duplicate = client.post("/oauth/register", json=METADATA, headers=bearer(token))
    assert duplicate.get_json()["error"] == "invalid_client_metadata"

    rat = ok.get_json()["registration_access_token"]
    uri = f"/oauth/register/{ok.get_json()['client_id']}"
    bad_update = {**METADATA, "client_id": ok.get_json()["client_id"], "scope": "openid nir"}
    refused = client.put(uri, json=bad_update, headers=bearer(rat))
    assert refused.status_code == 400
    with app.app_context():
        assert "nir" not in get_client(ok.get_json()["client_id"]).scope


def test_public_client_registration(app, client):
    """A public client (auth method none) gets no secret."""
    token = initial_token(app)
    body = client.post(
        "/oauth/register",
        json={
            **METADATA,
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
        },
        headers=bearer(token),
    ).get_json()
    assert "client_secret" not in body
    assert body["token_endpoint_auth_method"] == "none"


def test_discovery_advertises_the_registration_endpoint(app, client):
    """Discovery names /oauth/register, where registration really happens."""
    config = client.get("/.well-known/openid-configuration").get_json()
    assert config["registration_endpoint"] == f"{app.config['ISSUER']}/oauth/register"


def test_registered_service_client_gets_tokens(app, client):
    """A client registered dynamically is a real client: client_credentials works with the
    secret returned at registration, and stops working once the client deletes itself."""
    token = initial_token(app)
    body = client.post(
        "/oauth/register",
        json={
            "client_name": "Service partenaire",
            "grant_types": ["client_credentials"],
            "scope": "launcher",
            "token_endpoint_auth_method": "client_secret_post",
        },
        headers=bearer(token),
    ).get_json()
    form = {
        "grant_type": "client_credentials",
        "client_id": body["client_id"],
        "client_secret": body["client_secret"],
        "scope": "launcher",
    }
    issued = client.post("/oauth/token", data=form)
    assert issued.status_code == 200, issued.get_data(as_text=True)
    assert issued.get_json()["access_token"]
    uri = f"/oauth/register/{body['client_id']}"
    assert client.delete(uri, headers=bearer(body["registration_access_token"])).status_code == 204
    refused = client.post("/oauth/token", data=form)
    assert refused.status_code in (400, 401)
    assert refused.get_json()["error"] == "invalid_client"
