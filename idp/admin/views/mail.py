"""Admin page of outgoing mail: what waits, what failed, what was given up ("dead"), with
"Renvoyer". Envelopes only: bodies hold live links and are never shown."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from idp import audit
from idp.admin.access import admin_required
from idp.admin.forms.people import ActionForm
from idp.admin.views.blueprint import bp
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.rows import MAX_ROW_ID
from idp.mail import outbox
from idp.mail.models import DEAD, PENDING, SENT, OutboxMessage

LISTED = 100
# Which mail it is, in words (OutboxMessage.template).
KINDS = {
    "registration_confirm": _l("Confirmation d'inscription"),
    "account_exists": _l("Tentative d'inscription sur un compte existant"),
    "password_reset": _l("Réinitialisation du mot de passe"),
    "password_changed": _l("Mot de passe changé"),
    "secondary_confirm": _l("Confirmation du courriel secondaire"),
    "invitation": _l("Invitation"),
}


def _count(*conditions) -> int:
    return db.session.scalar(db.select(db.func.count(OutboxMessage.id)).where(*conditions)) or 0


@bp.get("/mail")
@admin_required
def mail():
    now = utcnow()
    waiting = list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.status == PENDING)
            .order_by(OutboxMessage.created_at)
            .limit(LISTED)
        )
    )
    dead = list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.status == DEAD)
            .order_by(OutboxMessage.dead_at.desc())
            .limit(LISTED)
        )
    )
    oldest = waiting[0].created_at if waiting else None
    stats = {
        "pending": _count(OutboxMessage.status == PENDING),
        "dead": _count(OutboxMessage.status == DEAD),
        "sent_24h": _count(
            OutboxMessage.status == SENT, OutboxMessage.sent_at >= now - timedelta(days=1)
        ),
        "oldest_minutes": int((now - oldest).total_seconds() // 60) if oldest else None,
    }
    return render_template(
        "admin/mail.html", waiting=waiting, dead=dead, stats=stats, kinds=KINDS, form=ActionForm()
    )


@bp.post("/mail/<int:outbox_id>/send-again")
@admin_required
def mail_send_again(outbox_id: int):
    if not ActionForm().validate_on_submit() or not 0 < outbox_id <= MAX_ROW_ID:
        abort(400)
    message = outbox.send_again(outbox_id)
    if message is None:
        flash(_("Ce courriel ne peut plus être renvoyé (déjà parti, ou effacé)."), "warning")
    else:
        audit.record("admin.mail.sent_again", actor=current_user, message_id=outbox_id)
        db.session.commit()
        flash(_("Le courriel est de nouveau en file d'envoi."), "success")
    return redirect(url_for("admin.mail"))
