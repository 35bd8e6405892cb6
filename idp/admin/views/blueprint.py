"""The administration blueprint ("admin", /admin), its home page and menu; each route module
of this package adds its pages to it."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

from idp.admin.access import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Admin sub-menu: (endpoint, label). Entries whose endpoint does not exist are hidden.
MENU = (
    ("admin.clients", _l("Applications")),
    ("admin.providers", _l("Fournisseurs d’identité")),
    ("admin.users", _l("Comptes")),
    ("admin.organizations", _l("Organisations")),
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
