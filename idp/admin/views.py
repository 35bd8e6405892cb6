"""The administration blueprint ("admin", /admin): its home page and the route modules."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template
from flask_babel import lazy_gettext as _l

from idp.admin.access import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Admin sub-menu: (endpoint, label). Entries whose endpoint does not exist are hidden.
MENU = (
    ("admin.clients", _l("Applications")),
    ("admin.users", _l("Comptes")),
    ("admin.invitations", _l("Invitations")),
    ("admin.audit", _l("Journal d’audit")),
    ("admin.mail", _l("Courriels")),
)


@bp.get("/")
@admin_required
def index():
    return render_template("admin/index.html")


@bp.app_context_processor
def admin_menu() -> dict:
    endpoints = current_app.view_functions
    return {"admin_menu": [(e, label) for e, label in MENU if e in endpoints]}


def init_app(app: Flask) -> None:
    # The route modules add their pages to `bp`, so they are imported here, once `bp`
    # exists, rather than at the top (they import it from this module).
    from idp.admin import (  # noqa: F401
        api,
        audit_views,
        clients_views,
        invitation_landing,
        invitations_accounts,
        invitations_views,
        mail_views,
        users_views,
    )

    app.register_blueprint(bp)
    app.register_blueprint(invitation_landing.bp)
    api.init_app(app)
    invitations_accounts.init_app(app)
