"""Self-service personal data: see recent activity, download the export, delete the account."""

from __future__ import annotations

from flask import flash, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from idp import audit
from idp.accounts import deletion, export
from idp.accounts.forms.profile import SelfDeleteForm
from idp.accounts.models import Account
from idp.accounts.passwords import verify_password
from idp.accounts.sessions import finish_logout
from idp.accounts.views.blueprint import bp
from idp.audit import services as audit_services
from idp.audit.labels import label
from idp.core.extensions import db, limiter


def _admins() -> int:
    return db.session.scalar(db.select(db.func.count(Account.id)).where(Account.is_admin))


@bp.app_template_global()
def recent_activity(account, limit: int = 10) -> list[dict]:
    """The person's latest events, in words (used by admin/_my_activity.html)."""
    if account is None or not getattr(account, "is_authenticated", False):
        return []
    return [
        {
            "when": event.created_at,
            "what": label(event.type, event.details),
            "ip": event.ip_address,
            "client_id": event.client_id,
        }
        for event in audit_services.recent_for(account, limit=limit)
    ]


@bp.get("/account/data")
@login_required
def my_data():
    return render_template("admin/users_self.html", form=SelfDeleteForm(), event_label=label)


@bp.get("/account/data/export")
@login_required
def my_data_export():
    audit.record("account.exported", account=current_user)
    db.session.commit()
    return export.download_response(current_user)


@bp.post("/account/data/delete")
@login_required
@limiter.limit("10 per hour")
def my_data_delete():
    form = SelfDeleteForm()
    if form.validate_on_submit():
        if current_user.is_admin and _admins() <= 1:
            form.form_errors.append(
                _(
                    "Vous êtes le dernier administrateur : nommez-en un autre avant de "
                    "supprimer votre compte."
                )
            )
        elif verify_password(form.password.data, current_user.password_hash):
            account = current_user._get_current_object()  # noqa: SLF001 - the real Account
            flash(_("Votre compte et vos données ont été supprimés. Au revoir !"), "success")
            # This browser's logout first (back- and front-channel to its services, the
            # "déconnecté" page), then the removal, which also ends the other sessions.
            response = finish_logout()
            deletion.delete_account(account)
            return response
        else:
            form.password.errors.append(_("Mot de passe incorrect."))
    return render_template("admin/users_self.html", form=form, event_label=label), 400
