"""The JSON API of the launcher: bearer token with the `launcher` scope, CORS, no caching."""

from __future__ import annotations

from tests.launcher.conftest import issue_token, make_account, make_service


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def services(app):
    """Two services; returns (formadist client_id, cpf client_id)."""
    formadist = make_service(
        app,
        "Formadist",
        "http://127.0.0.1:5001/",
        description="Formation à distance",
        icon_url="/static/launcher/formadist.svg",
        position=1,
    )
    cpf = make_service(app, "Mon compte formation", "http://127.0.0.1:5002/", position=2)
    return formadist, cpf


def test_no_token_is_refused_with_401_json(app, client):
    """Without a bearer token: 401, JSON error, WWW-Authenticate, never the entries."""
    response = client.get("/launcher/api/entries")
    assert response.status_code == 401
    assert response.is_json and response.json["error"] == "missing_authorization"
    assert response.headers.get("WWW-Authenticate", "").lower().startswith("bearer")
    assert "entries" not in response.json


def test_unknown_token_is_refused_with_401_json(app, client):
    """A token Compte never issued: 401 invalid_token."""
    response = client.get("/launcher/api/entries", headers=bearer("not-a-real-token"))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"


def test_token_without_launcher_scope_is_refused_with_403(app, client):
    """A valid token lacking the `launcher` scope: 403 insufficient_scope."""
    account_id = make_account(app)
    formadist, _cpf = services(app)
    token = issue_token(app, account_id, formadist, "openid profile email")
    response = client.get("/launcher/api/entries", headers=bearer(token))
    assert response.status_code == 403
    assert response.json["error"] == "insufficient_scope"


def test_service_token_without_a_person_is_refused(app, client):
    """A client_credentials token (no person behind it) gets no launcher."""
    formadist, _cpf = services(app)
    token = issue_token(app, None, formadist, "launcher")
    response = client.get("/launcher/api/entries", headers=bearer(token))
    assert response.status_code == 403
    assert "entries" not in response.json


def test_entries_with_the_current_service_marked(app, client):
    """A person's token lists the entries in order, marks the token's client as current."""
    account_id = make_account(app)
    formadist, cpf = services(app)
    token = issue_token(app, account_id, cpf, "openid launcher")
    response = client.get("/launcher/api/entries", headers=bearer(token))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    data = response.json
    issuer = app.config["ISSUER"]
    assert data["account"] == {"given_name": "Ivan"}
    assert data["links"] == {"services": f"{issuer}/", "profile": f"{issuer}/account"}
    assert data["entries"] == [
        {
            "client_id": formadist,
            "name": "Formadist",
            "description": "Formation à distance",
            "icon_url": f"{issuer}/static/launcher/formadist.svg",
            "url": "http://127.0.0.1:5001/",
            "position": 1,
            "current": False,
        },
        {
            "client_id": cpf,
            "name": "Mon compte formation",
            "description": "",
            "icon_url": f"{issuer}/static/launcher/service.svg",
            "url": "http://127.0.0.1:5002/",
            "position": 2,
            "current": True,
        },
    ]


def test_revoked_token_is_refused(app, client):
    """A revoked token no longer opens the API."""
    from idp.core.extensions import db
    from idp.oidc.clients import revoke_client_tokens

    account_id = make_account(app)
    formadist, _cpf = services(app)
    token = issue_token(app, account_id, formadist, "launcher")
    with app.app_context():
        revoke_client_tokens(formadist)
        db.session.commit()
    response = client.get("/launcher/api/entries", headers=bearer(token))
    assert response.status_code == 401


def test_cors_allows_registered_services_only(app, client):
    """Browsers of a registered service's origin may read the answer; others may not."""
    account_id = make_account(app)
    formadist, _cpf = services(app)
    token = issue_token(app, account_id, formadist, "launcher")
    allowed = client.get(
        "/launcher/api/entries",
        headers={**bearer(token), "Origin": "http://127.0.0.1:5001"},
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5001"
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = client.get(
        "/launcher/api/entries",
        headers={**bearer(token), "Origin": "https://evil.example"},
    )
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_preflight(app, client):
    """The pre-flight OPTIONS (sent without a token) allows GET with an Authorization header."""
    services(app)
    response = client.options(
        "/launcher/api/entries",
        headers={
            "Origin": "http://127.0.0.1:5002",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5002"
    assert response.headers["Access-Control-Allow-Methods"] == "GET"
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization"
    refused = client.options("/launcher/api/entries", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers
