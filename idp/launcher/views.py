"""The "Mes services" page: what a person sees first after logging in to Compte."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from idp.accounts import signals
from idp.launcher import api
from idp.launcher.services import delete_entry, entries_for, entry_for_client, entry_origins
from idp.oidc import signals as oidc_signals

bp = Blueprint("launcher", __name__)

DEFAULT_ICON = "launcher/service.svg"

# The "Mon compte" links: (label, path of the accounts area page, fallback anchor on the
# profile page). Looked up by path so that this page never breaks when an endpoint of the
# accounts area is renamed or not there yet.
ACCOUNT_LINKS = (
    (_l("Mes informations personnelles"), "/account", ""),
    (_l("Mes adresses électroniques"), "/account/emails", "#courriels"),
    (_l("Mot de passe"), "/account/password", "#mot-de-passe"),
    (_l("Sécurité et applications connectées"), None, "#securite"),
)


def icon_src(icon_url: str | None) -> str:
    """The address of an entry's icon, or the generic icon when it has none."""
    if not icon_url:
        return url_for("static", filename=DEFAULT_ICON)
    if icon_url.startswith("/"):  # a path on Compte, which may be mounted under a prefix
        return request.script_root + icon_url
    return icon_url


def account_links() -> list[tuple[str, str]]:
    """(label, href) of the account pages, each one click from "Mes services"."""
    endpoints = {
        rule.rule: rule.endpoint
        for rule in current_app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments
    }
    profile = url_for("accounts.profile")
    links = []
    for label, path, anchor in ACCOUNT_LINKS:
        if path in endpoints:
            links.append((str(label), url_for(endpoints[path])))
        else:
            links.append((str(label), profile + anchor))
    return links


@bp.get("/")
@login_required
def services():
    response = current_app.make_response(
        render_template(
            "launcher/services.html",
            entries=entries_for(current_user),
            account_links=account_links(),
            icon_src=icon_src,
        )
    )
    # Personal page (name, services): never kept by shared caches or the back button.
    response.headers["Cache-Control"] = "no-store"
    return response


def _origins(app: Flask) -> set[str]:
    return entry_origins()


def _opened(app: Flask, *, account: Any) -> list[Any]:
    return entries_for(account)


def _description(app: Flask, *, client_id: str) -> str | None:
    entry = entry_for_client(client_id)
    return entry.description if entry else None


def _forget_client(app: Flask, *, client: Any) -> None:
    delete_entry(client.client_id)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api.bp)
    # What account journeys ask of the launcher (idp/accounts/signals.py).
    signals.service_origins.connect(_origins, app)
    signals.services_opened.connect(_opened, app)
    # And what the OpenID Provider asks of it (idp/oidc/signals.py).
    oidc_signals.client_description.connect(_description, app)
    oidc_signals.client_deleting.connect(_forget_client, app)
