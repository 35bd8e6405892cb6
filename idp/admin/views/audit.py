"""Admin page of the audit log: filter by account, client, type and period; paginated."""

from __future__ import annotations

from flask import render_template, request

from idp.accounts.models import Account
from idp.admin.access import admin_required
from idp.admin.forms.people import AuditFilterForm
from idp.admin.views.blueprint import bp
from idp.audit import services
from idp.audit.labels import detail_value, label
from idp.core.extensions import db
from idp.oidc.clients import names_of

PER_PAGE = 50


@bp.get("/audit")
@admin_required
def audit():
    form = AuditFilterForm(request.args)
    page = request.args.get("page", 1, type=int) or 1
    if form.validate():
        email = (form.account.data or "").strip().lower()
        filters = services.Filters(
            account_ids=tuple(
                db.session.scalars(db.select(Account.id).where(Account.email == email))
            )
            if email
            else None,
            client_id=form.client_id.data or None,
            type=form.type.data or None,
            since=form.since.data,
            until=form.until.data,
        )
        events = services.search(filters, page=page, per_page=PER_PAGE)
    else:
        events = None
    # One query for the e-mails of the accounts shown (no N+1).
    ids = {i for e in (events.items if events else []) for i in (e.account_id, e.actor_id) if i}
    emails = (
        dict(
            db.session.execute(
                db.select(Account.id, Account.email).where(Account.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        events=events,
        emails=emails,
        client_names=names_of(e.client_id for e in (events.items if events else [])),
        args=args,
        event_label=label,
        detail_value=detail_value,
    )
