"""OIDC_DYNAMIC_REGISTRATION = false: Dynamic Client Registration is gone for everyone at
once: discovery, the endpoints, and the command that issues initial access tokens."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.core.cli import AppContext
from idp.core.extensions import db
from idp.oidc.client_registration_endpoints import issue_initial_access_token


@pytest.fixture
def settings(settings: dict) -> dict:
    return {**settings, "OIDC_DYNAMIC_REGISTRATION": False}


def test_discovery_omits_the_registration_endpoint(client):
    """The provider metadata no longer names a registration_endpoint."""
    metadata = client.get("/.well-known/openid-configuration").get_json()
    assert "registration_endpoint" not in metadata
    assert metadata["token_endpoint"].endswith("/oauth/token")


def test_registration_answers_not_found_even_with_a_token(app, client):
    """A token issued before the switch went off registers nothing: 404, in JSON."""
    with app.app_context():
        _, token = issue_initial_access_token(None, max_uses=None)
        db.session.commit()
    response = client.post(
        "/oauth/register",
        json={"client_name": "Portail", "redirect_uris": ["https://partenaire.example/cb"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_the_cli_refuses_to_issue_a_token(app):
    """`compte clients token` says the feature is off and which setting turns it on."""
    context = AppContext()
    context._app = app
    result = CliRunner().invoke(main, ["clients", "token"], obj=context)
    assert result.exit_code != 0
    assert "OIDC_DYNAMIC_REGISTRATION" in result.output
