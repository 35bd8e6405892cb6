"""Routes of the accounts area: one module per concern, one blueprint."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, request

from idp.accounts.models import Account
from idp.extensions import db, login_manager

bp = Blueprint("accounts", __name__)


@bp.after_request
def no_store(response: Response) -> Response:
    """Every page of this area shows personal data or a form with a secret link in its URL
    (reset, confirmation): no browser or proxy cache keeps it. The terms text may be kept."""
    if request.endpoint != "accounts.terms":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vs) for key, vs in values.lists())


def reject_nul_bytes() -> None:
    """400 for a request carrying a NUL character (path, query, form or JSON body).

    App-wide (registered on the app below; its natural home is idp/web.py): no field of
    Compte may hold one and PostgreSQL refuses them in text, so a query would fail with a
    500 in any area. Werkzeug's parsers keep NUL, so nothing upstream catches it."""
    if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
        abort(400)
    if request.is_json and b"\\u0000" in request.get_data(cache=True):
        abort(400)


@login_manager.user_loader
def load_account(session_id: str) -> Account | None:
    """Session ids are "<id>:<epoch>"; an old epoch means the session was ended."""
    try:
        account_id, epoch = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    account = db.session.get(Account, account_id)
    if account is None or account.session_epoch != epoch or not account.is_active:
        return None
    return account


def init_app(app: Flask) -> None:
    from idp.accounts.views import (  # noqa: F401
        data,
        login,
        password,
        profile,
        registration,
        terms,
    )

    app.before_request(reject_nul_bytes)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)
