"""Routes about the person's session: RP-initiated logout (with its confirmation page),
CORS of the token endpoints, and "Applications connectées" of the profile page."""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from idp.accounts import sessions
from idp.core.extensions import csrf, db
from idp.core.i18n import remember_ui_locales
from idp.oidc import consent as consents
from idp.oidc.bounds import Violation
from idp.oidc.claims import subject_for
from idp.oidc.forms import LogoutConfirmForm, LogoutEverywhereForm
from idp.oidc.server import oauth

bp = Blueprint("oidc_session", __name__)

# Parameters of a POSTed end-session request, carried through the confirmation form.
END_SESSION_PARAMS = (
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
    "logout_hint",
)


# --- Logout --------------------------------------------------------------------------


@bp.route("/oauth/logout", methods=["GET", "POST"])
@csrf.exempt  # RPs may POST here cross-site; the confirmation form checks CSRF itself.
def end_session():
    server = oauth().server
    try:
        end_request = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        if current_user.is_authenticated:
            # A bad or outdated id_token_hint: never redirect, but the person may still
            # want to log out — ask them.
            return _confirm_logout(None, None)
        page = render_template(
            "oidc/error.html",
            error=error.error,
            description=error.description,
            text=_("La demande de déconnexion envoyée par l’application est incorrecte."),
        )
        return Response(page, status=400)
    remember_ui_locales()
    if not current_user.is_authenticated:
        # Nothing to end here: continue to the application (or to the login page).
        return sessions.finish_logout(end_request.redirect_uri)
    claims = end_request.id_token_claims or {}
    trusted = bool(claims) and (
        claims.get("sid") in (None, session.get("sid"))
        and (
            end_request.client is None
            or claims.get("sub") == subject_for(current_user, end_request.client)
        )
    )
    if trusted:
        return sessions.finish_logout(end_request.redirect_uri)
    return _confirm_logout(end_request.client, end_request.redirect_uri)


def refuse_logout_request(violation: Violation, source: str) -> Response:
    """A logout request with a parameter out of bounds (idp/oidc/guard.py): never followed
    to its post_logout_redirect_uri; the page says the request is incorrect."""
    page = render_template(
        "oidc/error.html",
        error="invalid_request",
        description=violation.description,
        text=_("La demande de déconnexion envoyée par l’application est incorrecte."),
    )
    return Response(page, status=400)


def _confirm_logout(client, redirect_uri: str | None) -> Response:
    """ "Voulez-vous vous déconnecter ?" — logs out only on a POST with a valid CSRF token."""
    form = LogoutConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        if form.confirm.data:
            return sessions.finish_logout(redirect_uri)
        return redirect(url_for("launcher.services"))
    carried = {k: request.form[k] for k in END_SESSION_PARAMS if request.form.get(k)}
    page = render_template(
        "oidc/logout_confirm.html",
        form=form,
        client=client,
        action=request.full_path,
        carried=carried,
    )
    response = Response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    """ "Se déconnecter partout": every browser session of the account ends (this one
    included), every token is revoked, every service is told."""
    if not LogoutEverywhereForm().validate_on_submit():
        return redirect(url_for("accounts.profile") + "#securite")
    return sessions.finish_logout(everywhere=True)


# --- CORS for browser-based (public) clients ----------------------------------------

# No cookies are read on these endpoints (client authentication or bearer tokens only),
# so any origin may call them.
CORS_PATHS = {
    "/oauth/token",
    "/oauth/userinfo",
    "/oauth/revoke",
    "/oauth/introspect",
    "/oauth/jwks",
    "/.well-known/openid-configuration",
}


@bp.after_app_request
def cors_headers(response: Response) -> Response:
    if request.path in CORS_PATHS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
    return response


# --- Connected applications (profile page) ----------------------------------------


@bp.post("/account/applications/<client_id>/revoke")
@login_required
def revoke_application(client_id: str):
    if consents.revoke_consent(current_user, client_id):
        db.session.commit()
        flash(_("L’accès de l’application a été retiré."), "success")
    return redirect(url_for("accounts.profile") + "#connected-apps")


def connected_apps() -> list:
    if not current_user.is_authenticated:
        return []
    return consents.connected_apps(current_user)
