"""A capability switched off in the settings (config/defaults.toml) disappears everywhere
at once: discovery, client rules (create_client, CLI), dynamic registration and the
protocol endpoints. Here: the client_credentials grant, ES256 and client_secret_post."""

from __future__ import annotations

import base64

import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.core.cli import AppContext
from idp.core.extensions import db
from idp.oidc.capabilities import SUPPORTED, enabled
from idp.oidc.client_registration_endpoints import issue_initial_access_token
from idp.oidc.client_rules import ClientError
from idp.oidc.clients import create_client, get_client

REDIRECT_URI = "https://partenaire.example/callback"


@pytest.fixture
def settings(settings: dict) -> dict:
    return {
        **settings,
        "OIDC_GRANT_TYPES": ["authorization_code", "refresh_token"],
        "OIDC_SIGNING_ALGS": ["RS256"],
        "OIDC_CLIENT_AUTH_METHODS": ["client_secret_basic", "private_key_jwt", "none"],
    }


def _basic(client_id: str, secret: str) -> dict:
    value = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def _service_client(app, name: str, **fields) -> tuple[str, str]:
    """A client registered before the switch went off (its row says what it was given)."""
    with app.app_context():
        client, secret = create_client(
            name, grant_types=["authorization_code"], redirect_uris=[REDIRECT_URI]
        )
        for key, value in fields.items():
            setattr(client, key, value)
        db.session.commit()
        return client.client_id, secret


def _cli(app, *args: str):
    context = AppContext()
    context._app = app
    return CliRunner().invoke(main, list(args), obj=context, catch_exceptions=False)


def test_defaults_offer_everything_supported():
    """With the defaults of config/defaults.toml nothing is switched off."""
    from idp.core.config import load_settings

    assert enabled(load_settings()) == SUPPORTED


def test_unknown_or_required_values_are_refused():
    """A typo, or dropping what OpenID Connect requires, fails at startup."""
    with pytest.raises(ValueError, match="OIDC_GRANT_TYPES"):
        enabled({"OIDC_GRANT_TYPES": ["authorization_code", "password"]})
    with pytest.raises(ValueError, match="RS256"):
        enabled({"OIDC_SIGNING_ALGS": ["ES256"]})


def test_discovery_no_longer_offers_it(client):
    meta = client.get("/.well-known/openid-configuration").get_json()
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "client_secret_post" not in meta["token_endpoint_auth_methods_supported"]
    assert "client_secret_post" not in meta["revocation_endpoint_auth_methods_supported"]
    assert "client_secret_post" not in meta["introspection_endpoint_auth_methods_supported"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("grant_types", ["authorization_code", "client_credentials"]),
        ("id_token_alg", "ES256"),
        ("auth_method", "client_secret_post"),
    ],
)
def test_create_client_refuses_it(app, field, value):
    with app.app_context(), pytest.raises(ClientError) as raised:
        create_client("Portail", redirect_uris=[REDIRECT_URI], **{field: value})
    assert raised.value.field == field


def test_cli_refuses_it(app):
    """`compte clients add` names the switched-off value in its refusal."""
    for option, value in (
        ("--grant-type", "client_credentials"),
        ("--id-token-alg", "ES256"),
        ("--auth-method", "client_secret_post"),
    ):
        result = _cli(
            app, "clients", "add", "--name", f"Portail {value}", "--redirect-uri", REDIRECT_URI,
            option, value,
        )  # fmt: skip
        assert result.exit_code != 0, result.output
        assert value in result.output


def test_dynamic_registration_refuses_it(app, client):
    """/oauth/register answers invalid_client_metadata for each switched-off value."""
    with app.app_context():
        _, token = issue_initial_access_token(None, max_uses=None)
        db.session.commit()
    base = {"client_name": "Portail", "redirect_uris": [REDIRECT_URI]}
    for extra in (
        {"grant_types": ["authorization_code", "client_credentials"]},
        {"id_token_signed_response_alg": "ES256"},
        {"token_endpoint_auth_method": "client_secret_post"},
    ):
        response = client.post(
            "/oauth/register", json={**base, **extra}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.get_json()["error"] == "invalid_client_metadata"
    accepted = client.post(
        "/oauth/register", json=base, headers={"Authorization": f"Bearer {token}"}
    )
    assert accepted.status_code == 201, accepted.get_data(as_text=True)


def test_token_endpoint_refuses_it(app, client):
    """A client given the capability before the switch went off cannot use it any more."""
    client_id, secret = _service_client(app, "Service", grant_types=["client_credentials"])
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(client_id, secret)
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"

    client_id, secret = _service_client(
        app, "Portail", token_endpoint_auth_method="client_secret_post"
    )
    with app.app_context():
        assert get_client(client_id).token_endpoint_auth_method == "client_secret_post"
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
