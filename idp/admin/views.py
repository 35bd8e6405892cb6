"""The administration blueprint ("admin", /admin): its home page and the route modules."""

from __future__ import annotations

import importlib

from flask import Blueprint, Flask, current_app, render_template
from flask_babel import lazy_gettext as _l

from idp.admin.access import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Route modules defined on `bp`; the people part (users, invitations, audit) may still be
# missing while it is written, hence the guarded import below.
ROUTE_MODULES = (
    "idp.admin.clients_views",
    "idp.admin.users_views",
    "idp.admin.invitations_views",
    "idp.admin.audit_views",
    "idp.admin.mail_views",
)
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


def _import_optional(name: str) -> None:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise


def init_app(app: Flask) -> None:
    for name in ROUTE_MODULES:
        _import_optional(name)
    app.register_blueprint(bp)
    try:  # the invitations API (people part), a blueprint of its own when it lands
        api = importlib.import_module("idp.admin.api")
    except ModuleNotFoundError as error:
        if error.name != "idp.admin.api":
            raise
    else:
        if hasattr(api, "init_app"):
            api.init_app(app)
