"""Dynamic Client Registration (RFC 7591/7592): the routes of the endpoints that
idp.oidc.server.build registers (idp/oidc/client_registration_endpoints.py)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from idp.core.extensions import csrf
from idp.oidc import guard
from idp.oidc.capabilities import current
from idp.oidc.client_registration_endpoints import ConfigurationEndpoint, RegistrationEndpoint
from idp.oidc.server import oauth

bp = Blueprint("client_registration", __name__)


@bp.before_request
def only_when_on() -> Response | None:
    """OIDC_DYNAMIC_REGISTRATION off: the endpoints do not exist (and discovery omits them)."""
    if current().dynamic_registration:
        return None
    body = {"error": "not_found", "error_description": "Dynamic registration is off."}
    return jsonify(body), 404


@bp.post("/oauth/register")
def register():
    return oauth().server.create_endpoint_response(RegistrationEndpoint.ENDPOINT_NAME)


@bp.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])
def configure(client_id: str):
    response = oauth().server.create_endpoint_response(ConfigurationEndpoint.ENDPOINT_NAME)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Route the registration endpoints (the server holds them: call after build(app))."""
    # NUL and lone surrogates in the JSON body, malformed bearer tokens: refused before any
    # lookup or insert (PostgreSQL cannot store them).
    for endpoint in ("client_registration.register", "client_registration.configure"):
        guard.protect(app, endpoint, guard.registration_error, header="bearer")
    csrf.exempt(bp)  # bearer-token JSON API: no cookie, no CSRF
    app.register_blueprint(bp)
