"""Routes of the accounts area: one module per concern, one blueprint."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

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

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)
