"""Routes of the accounts area: one module per concern, all on one blueprint
(idp/accounts/views/blueprint.py), registered by `init_app`."""

from __future__ import annotations

from flask import Flask

from idp.accounts import sessions
from idp.accounts.views import (  # noqa: F401
    data,
    devices,
    going_to,
    login,
    passkey_login,
    passkeys,
    password,
    profile,
    registration,
    registration_address,
    second_factor,
    security,
    security_email,
    security_recovery,
    security_totp,
    terms,
)
from idp.accounts.views.blueprint import bp
from idp.core.extensions import login_manager


def init_app(app: Flask) -> None:
    sessions.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)
