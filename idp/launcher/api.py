"""The launcher for relying parties: a JSON API (bearer token, scope `launcher`) and a widget.

The RPs render their "Mes services" menu server-side from the JSON; the widget only turns
that server-rendered menu into a drop-down button (see docs/launcher.md).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory, url_for
from flask_babel import gettext as _

from idp.launcher.services import entries_for, entry_origins, origin_of
from idp.oidc.server import require_oauth

SCOPE = "launcher"
bp = Blueprint("launcher_api", __name__)
WIDGET_FILE = "launcher.js"  # static/js/launcher.js


def _absolute(path: str) -> str:
    """An absolute URL on Compte's public address (the issuer), whatever host was called."""
    issuer = urlsplit(current_app.config["ISSUER"])
    return f"{issuer.scheme}://{issuer.netloc}{path}"


def _icon(icon_url: str | None) -> str:
    if not icon_url:
        return _absolute(url_for("static", filename="launcher/service.svg"))
    if icon_url.startswith("/"):
        return _absolute(request.script_root + icon_url)
    return icon_url


def _error(status: int, error: str, description: str, headers: Any = ()) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers:
        response.headers[name] = value
    return response


def _cors(response: Response) -> Response:
    """Let the browsers of registered services read the answer (GET only, no cookies)."""
    response.headers["Vary"] = "Origin"
    origin = origin_of(request.headers.get("Origin"))
    if origin and origin in entry_origins():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET"
        response.headers["Access-Control-Allow-Headers"] = "Authorization"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def entries_payload(account: Any, current_client_id: str | None) -> dict:
    """The JSON document of the API (see docs/launcher.md)."""
    return {
        "entries": [
            {
                "client_id": entry.client_id,
                "name": entry.name,
                "description": entry.description,
                "icon_url": _icon(entry.icon_url),
                "url": entry.url,
                "position": entry.position,
                "current": entry.client_id == current_client_id,
            }
            for entry in entries_for(account)
        ],
        "account": {"given_name": account.given_name},
        "links": {
            "services": _absolute(url_for("launcher.services")),
            "profile": _absolute(url_for("accounts.profile")),
        },
    }


@bp.route("/launcher/api/entries", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def api_entries() -> Response:
    if request.method == "OPTIONS":  # CORS pre-flight: no token is sent with it
        return _cors(Response(status=204))
    try:
        # Same check as @require_oauth("launcher"), but the OAuth error is answered here
        # as RFC 6750 JSON with its WWW-Authenticate header (and CORS headers) instead of
        # going through the generic HTTP error pages.
        token = require_oauth.acquire_token([SCOPE])
    except OAuth2Error as error:
        response = _error(
            error.status_code,
            error.error,
            error.description or "",
            error.get_headers(),
        )
        return _cors(response)
    account = getattr(token, "account", None)
    if account is None or not account.is_active:
        # A client_credentials token (no person) or a locked account: nothing to list.
        return _cors(
            _error(
                403,
                "insufficient_scope",
                _("Ce jeton ne représente pas une personne connectée."),
                [("WWW-Authenticate", 'Bearer error="insufficient_scope"')],
            )
        )
    client = getattr(token, "client", None)
    client_id = getattr(client, "client_id", None) or getattr(token, "client_id", None)
    response = jsonify(entries_payload(account, client_id))
    response.headers["Cache-Control"] = "private, no-store"
    return _cors(response)


@bp.get("/launcher/widget.js")
def widget() -> Response:
    """The optional script that turns a server-rendered menu into a drop-down button."""
    response = send_from_directory(
        current_app.static_folder + "/js",
        WIDGET_FILE,
        mimetype="text/javascript",
        max_age=3600,
    )
    # Included by the services' pages, on other origins.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
