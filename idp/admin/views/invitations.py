"""Invitations: admin pages (list, new, re-send, revoke) and the public link /invitation/<token>."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from idp.admin import invitations as service
from idp.admin.access import admin_required
from idp.admin.forms.people import ActionForm, InvitationForm
from idp.admin.models import Invitation
from idp.admin.views.blueprint import bp
from idp.core.extensions import db
from idp.core.rows import get_row
from idp.launcher.models import LauncherEntry
from idp.oidc.models import Client

# The link in the mail is public (the token is the credential), hence its own blueprint.

STATUSES = ("pending", "accepted", "expired", "revoked")


def _service_choices() -> list[SelectChoice]:
    """Services one may invite to: launcher entries, then clients without one."""
    choices = {
        e.client_id: e.name
        for e in db.session.scalars(db.select(LauncherEntry).order_by(LauncherEntry.position))
    }
    for client in db.session.scalars(db.select(Client).order_by(Client.name)):
        choices.setdefault(client.client_id, client.name)
    return [SelectChoice("", _("— Choisissez —"))] + [
        SelectChoice(client_id, name) for client_id, name in choices.items()
    ]


def _invitation(invitation_id: int) -> Invitation:
    invitation = get_row(Invitation, invitation_id)
    if invitation is None:
        abort(404)
    return invitation


@bp.get("/invitations")
@admin_required
def invitations():
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    rows = service.listing(status=status, client_id=request.args.get("client_id") or None)
    names = {choice.value: choice.label for choice in _service_choices()}
    return render_template(
        "admin/invitations.html",
        invitations=rows,
        status=status,
        statuses=STATUSES,
        names=names,
        action=ActionForm(),
    )


@bp.route("/invitations/new", methods=["GET", "POST"])
@admin_required
def invitation_new():
    form = InvitationForm()
    form.client_id.choices = _service_choices()
    if request.method == "GET":
        form.expires_in_days.data = service.max_age_days()
        form.client_id.data = request.args.get("client_id", "")
    if form.validate_on_submit():
        try:
            invitation, _message = service.invite(
                actor=current_user,
                email=form.email.data,
                client_id=form.client_id.data,
                civility=form.civility.data or None,
                given_name=form.given_name.data,
                family_name=form.family_name.data,
                expires_in_days=form.expires_in_days.data,
                origin="admin",
            )
        except service.InvitationError as error:
            field = getattr(form, error.field or "", None)
            (field.errors if field is not None else form.form_errors).append(str(error))
        else:
            flash(_("Invitation envoyée à %(email)s.", email=invitation.email), "success")
            return redirect(url_for("admin.invitations"))
    return render_template("admin/invitations_new.html", form=form)


@bp.post("/invitations/<int:invitation_id>/resend")
@admin_required
def invitation_resend(invitation_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    invitation = _invitation(invitation_id)
    try:
        service.resend(invitation, actor=current_user)
    except service.InvitationError as error:
        flash(str(error), "error")
    else:
        flash(_("Invitation renvoyée à %(email)s.", email=invitation.email), "success")
    return redirect(url_for("admin.invitations"))


@bp.post("/invitations/<int:invitation_id>/revoke")
@admin_required
def invitation_revoke(invitation_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    invitation = _invitation(invitation_id)
    try:
        service.revoke(invitation, actor=current_user)
    except service.InvitationError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Invitation à %(email)s annulée.", email=invitation.email), "success")
    return redirect(url_for("admin.invitations"))
