"""Dynamic Client Registration (RFC 7591/7592): the routes of the endpoints that
idp.oidc.server.build registers (idp/oidc/registration_endpoints.py)."""

from __future__ import annotations

from flask import Blueprint, Flask

from idp.core.extensions import csrf
from idp.oidc import guard
from idp.oidc.registration_endpoints import ConfigurationEndpoint, RegistrationEndpoint
from idp.oidc.server import oauth

bp = Blueprint("registration", __name__)


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
    for endpoint in ("registration.register", "registration.configure"):
        guard.protect(app, endpoint, guard.registration_error, header="bearer")
    csrf.exempt(bp)  # bearer-token JSON API: no cookie, no CSRF
    app.register_blueprint(bp)
