"""Service clients: the client_credentials grant and APIs protected by `require_oauth`."""

from __future__ import annotations

import requests
from flask import Blueprint, jsonify


def test_client_credentials_and_require_oauth(app, live_server, make_rp):
    """A service client gets a token with client_credentials; `require_oauth` protects an
    API with it (current_token.account is None, current_token.client is the client)."""
    from idp.oidc.server import current_token, require_oauth

    api = Blueprint("test_api", __name__)

    @api.get("/api/test/whoami")
    @require_oauth("invitations")
    def whoami():
        return jsonify(client=current_token.client.client_id, account=current_token.account)

    app.register_blueprint(api)
    rp = make_rp(
        "Service", redirect_uris=(), grant_types=["client_credentials"], scopes=["invitations"]
    )
    response = requests.post(
        f"{live_server}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "invitations"},
        auth=(rp.client_id, rp.client_secret),
        timeout=5,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body and "id_token" not in body
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    who = requests.get(f"{live_server}/api/test/whoami", headers=headers, timeout=5)
    assert who.json() == {"client": rp.client_id, "account": None}
    assert requests.get(f"{live_server}/api/test/whoami", timeout=5).status_code == 401
