"""Routes of the upstream sign-in: /login/with/<name> sends the person to the provider,
/login/with/<name>/callback takes the answer (then signs in, or asks to link an existing
account or to register: views_link.py, views_register.py), /login/with/<name>/logged-out
is where the provider's logout comes back. Every failure is one French page and an audit
event (idp/federation/blueprint.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from idp.accounts.redirects import safe_next
from idp.accounts.services import find_by_email
from idp.core.extensions import limiter
from idp.federation import buttons, flow, linking, providers, signin, upstream_logout
from idp.federation import views_link as _views_link  # noqa: F401  (its routes)
from idp.federation import views_register as _views_register  # noqa: F401  (its routes)
from idp.federation.blueprint import bp, enabled_provider, error_page, rate_limit, too_many
from idp.federation.errors import FederationError
from idp.federation.forms import AddLinkForm
from idp.federation.models import UpstreamLink, UpstreamProvider


@bp.get("/login/with/<name>")
@limiter.limit(rate_limit, on_breach=too_many)
def start(name: str) -> Response:
    """To the provider's authorization endpoint, keeping where the person was going."""
    next_url = safe_next(request.args.get("next"))
    provider = providers.get(name)
    try:
        provider = enabled_provider(name)
        return redirect(flow.start(provider, next_url))
    except FederationError as error:
        return error_page(error, provider or name[:64], next_url)


@bp.get("/login/with/<name>/callback")
@limiter.limit(rate_limit, on_breach=too_many)
def callback(name: str) -> Response:
    next_url = flow.next_url_of(request.args.get("state"))
    provider = providers.get(name)
    try:
        provider = enabled_provider(name)
        identity = flow.finish(provider, request.args.to_dict())
        return redirect(_after(provider, identity))
    except FederationError as error:
        return error_page(error, provider or name[:64], next_url)


def _after(provider: UpstreamProvider, identity: flow.Identity) -> str:
    """Where a verified identity goes: signed in when linked; else to link the account
    that has its vouched address; else to registration (which asks for an address, then
    confirms it by mail, when the provider gave none or does not vouch for it)."""
    found = linking.find(provider, identity.subject)
    if identity.link_for is not None:
        return _add_to_signed_in(provider, identity, found)
    if found is not None:
        linking.used(found, identity)
        return signin.sign_in(found.account, provider, identity)
    signin.keep(identity)
    if identity.email_vouched and find_by_email(identity.email) is not None:
        return url_for("federation.link", name=provider.name)
    return url_for("federation.register", name=provider.name)


@bp.get("/login/with/<name>/logged-out")
def logged_out(name: str) -> Response:
    """Back from the provider's logout: on to the service that asked for the logout, or
    Compte's "Vous êtes déconnecté" page."""
    entry = upstream_logout.came_back(name, request.args.get("state")) or {}
    if entry.get("then"):
        return redirect(entry["then"])
    page = entry.get("page") or {}
    response = Response(
        render_template(
            "accounts/logged_out.html",
            frames=[],
            redirect_uri=None,
            told=list(page.get("told") or []),
            untold=list(page.get("untold") or []),
            everywhere=bool(page.get("everywhere")),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _add_to_signed_in(
    provider: UpstreamProvider, identity: flow.Identity, found: UpstreamLink | None
) -> str:
    """The security page's "Associer" came back: the provider is added to the account
    that asked, which is still the one signed in here (the session proves it)."""
    account = current_user._get_current_object() if current_user.is_authenticated else None
    if account is None or account.sub != identity.link_for:
        raise FederationError("identity_missing", "the account that asked is not signed in")
    if found is not None and found.account_id != account.id:
        raise FederationError("already_linked", "this identity is another account's")
    if found is None:
        linking.link(account, provider, identity, via="security_page")
        flash(
            _("Vous pouvez maintenant vous connecter avec %(label)s.", label=provider.label),
            "success",
        )
    else:
        flash(_("La connexion via %(label)s était déjà ajoutée.", label=provider.label), "success")
    return url_for("accounts.security") + "#connexions-externes"


@bp.post("/account/security/upstream/add/<name>", endpoint="add_link")
@login_required
@limiter.limit(rate_limit, on_breach=too_many)
def add_link(name: str) -> Response:
    """The security page's "Associer <provider>": a sign-in at the provider whose identity
    is then added to this account (the person is told by mail, as for every link)."""
    if not AddLinkForm().validate_on_submit():
        return redirect(url_for("accounts.security"))
    provider = providers.get(name)
    try:
        provider = enabled_provider(name)
        target = url_for("accounts.security")
        return redirect(flow.start(provider, target, link_for=current_user.sub))
    except FederationError as error:
        return error_page(error, provider or name[:64])


def _own_links() -> list[UpstreamLink]:
    """The signed-in person's links, read once per request (the security page shows them,
    then the providers not among them)."""
    if "federation_own_links" not in g:
        g.federation_own_links = linking.links_of(current_user._get_current_object())
    return g.federation_own_links


def upstream_addable() -> list[dict[str, str]]:
    """The enabled providers the signed-in person has no link with ("Associer")."""
    if not current_user.is_authenticated:
        return []
    linked = {row.provider_id for row in _own_links()}
    return [
        {"name": p.name, "label": p.label}
        for p in providers.enabled_providers()
        if p.id not in linked
    ]


def upstream_links() -> list[dict[str, Any]]:
    """The signed-in person's links, for the security page (templates/federation/
    _links.html, included by templates/accounts/security.html)."""
    if not current_user.is_authenticated:
        return []
    account = current_user._get_current_object()
    return [
        {
            "id": row.id,
            "label": row.provider.label,
            "since": row.created_at,
            "last_used": row.last_used_at,
            "removable": bool(linking.ways_in(account, without=row)),
        }
        for row in _own_links()
    ]


def init_app(app: Flask) -> None:
    linking.init_app(app)
    upstream_logout.init_app(app)
    app.register_blueprint(bp)
    app.add_template_global(upstream_links)
    app.add_template_global(upstream_addable)
    app.add_template_global(buttons.federation_providers)  # the login page's buttons
