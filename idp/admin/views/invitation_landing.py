"""The invitation link a person receives (/invitation/<token>): registration pre-filled
without an account, login then the service with one. Its own blueprint ("invitations"):
the page is public, unlike the rest of the admin area."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from idp.accounts.services import find_by_email
from idp.admin import invitations as service
from idp.admin.models import Invitation
from idp.core.extensions import db

bp = Blueprint("invitations", __name__)


def _problem(state: str, invitation: Invitation | None, status: int):
    target = service.service_for(invitation.client_id) if invitation else None
    return (
        render_template("admin/invitations_landing.html", state=state, service=target),
        status,
    )


@bp.get("/invitation/<token>", endpoint="open")
def open_link(token: str):
    """Without an account: registration pre-filled. With one: login, then the service."""
    invitation = service.find_by_token(token)
    if invitation is None:
        return _problem("invalid", None, 404)
    status = invitation.status()
    if status in ("expired", "revoked"):
        return _problem(status, invitation, 410)
    if status == "accepted":
        target = service.service_for(invitation.client_id)
        if current_user.is_authenticated and target and target.url:
            return redirect(target.url)
        after = target.url if target and target.url else None
        return redirect(url_for("accounts.login", identifier=invitation.email, next=after))
    continue_url = url_for("invitations.accept", token=token)
    if current_user.is_authenticated:
        return redirect(continue_url)
    if find_by_email(invitation.email) is not None:
        return redirect(url_for("accounts.login", identifier=invitation.email, next=continue_url))
    return redirect(url_for("accounts.register", invitation=token))


@bp.get("/invitation/<token>/continue")
@login_required
def accept(token: str):
    """After login: mark the invitation accepted and go to the service."""
    invitation = service.find_by_token(token)
    if invitation is None:
        return _problem("invalid", None, 404)
    if invitation.status() in ("expired", "revoked"):
        return _problem(invitation.status(), invitation, 410)
    target = service.service_for(invitation.client_id)
    if invitation.email != current_user.email:
        return (
            render_template(
                "admin/invitations_landing.html",
                state="other_account",
                service=target,
                invited_email=invitation.email,
            ),
            409,
        )
    service.accept(invitation, current_user)
    db.session.commit()
    if target and target.url:
        return redirect(target.url)
    return redirect(url_for("launcher.services"))
