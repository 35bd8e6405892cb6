"""Routes of the accounts area: one module per concern, one blueprint."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

from idp.accounts import sessions
from idp.core.extensions import login_manager

bp = Blueprint("accounts", __name__)


@bp.after_request
def no_store(response: Response) -> Response:
    """Every page of this area shows personal data or a form with a secret link in its URL
    (reset, confirmation): no browser or proxy cache keeps it. The terms text may be kept."""
    if request.endpoint != "accounts.terms":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    from idp.accounts.views import (  # noqa: F401
        data,
        login,
        password,
        profile,
        registration,
        terms,
    )

    sessions.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)
