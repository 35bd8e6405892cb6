""" "Vos appareils et sessions": the browsers where the account is signed in, and signing
one of them out ("Se déconnecter de cet appareil"). "Se déconnecter partout" is the
oidc area's form (oidc_session.logout_everywhere)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from idp.accounts import open_sessions
from idp.accounts.forms.profile import ConfirmActionForm
from idp.accounts.sessions import current_sid, finish_logout
from idp.accounts.views.blueprint import bp


@bp.app_template_global()
def open_session_count() -> int:
    """How many browsers the signed-in person uses right now (the security page's card)."""
    if not current_user.is_authenticated:
        return 0
    return len(open_sessions.live_rows(current_user._get_current_object()))


@bp.get("/account/sessions", endpoint="sessions")
@login_required
def sessions_page():
    account = current_user._get_current_object()
    return render_template(
        "accounts/sessions.html",
        entries=open_sessions.open_sessions(account),
        form=ConfirmActionForm(),
    )


@bp.post("/account/sessions/<int:session_id>/logout", endpoint="session_logout")
@login_required
def session_logout(session_id: int):
    """Sign one browser out: this one is the ordinary logout (its services are told in
    the page, front-channel, and by back-channel); another one ends through end_sessions."""
    account = current_user._get_current_object()
    row = open_sessions.find_own(account, session_id)
    if row is None:
        abort(404)
    if not ConfirmActionForm().validate_on_submit():
        return redirect(url_for("accounts.sessions"))
    if row.sid == current_sid():
        return finish_logout()
    if not open_sessions.is_live(account, row):
        flash(_("Cette session était déjà fermée."), "success")
        return redirect(url_for("accounts.sessions"))
    told = open_sessions.end_other(account, row)
    message = _("L’appareil a été déconnecté.")
    if told:
        message += " " + ngettext(
            "%(num)s service en a été prévenu.", "%(num)s services en ont été prévenus.", told
        )
    flash(message, "success")
    return redirect(url_for("accounts.sessions"))
