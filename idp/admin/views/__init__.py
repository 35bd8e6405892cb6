"""Pages of the administration area: one module per concern, on the "admin" blueprint
(idp/admin/views/blueprint.py), plus the public invitation link (its own blueprint); the
invitations API is idp/admin/api.py. `init_app` registers them all."""

from __future__ import annotations

from flask import Flask

from idp.admin import api, invitations_accounts
from idp.admin.views import (  # noqa: F401
    audit,
    clients,
    invitation_landing,
    invitations,
    mail,
    organizations,
    providers,
    users,
)
from idp.admin.views.blueprint import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(invitation_landing.bp)
    api.init_app(app)
    invitations_accounts.init_app(app)
