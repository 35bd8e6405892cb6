"""Reading and pruning the audit log: filters for admins, recent activity for a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_

from idp.audit.models import AuditEvent
from idp.core.batches import batch_size, delete_where
from idp.core.clock import utcnow
from idp.core.dates import day_starts_at
from idp.core.extensions import db


@dataclass
class Filters:
    """What an admin filters the log by; every field is optional."""

    # Events about these accounts or done by them (None: any; empty: none).
    account_ids: tuple[int, ...] | None = None
    client_id: str | None = None
    type: str | None = None
    since: date | None = None
    until: date | None = None


def _query(filters: Filters):
    query = db.select(AuditEvent)
    if filters.account_ids is not None:
        # Events about the account, and those it did as an admin.
        ids = filters.account_ids
        query = query.where(or_(AuditEvent.account_id.in_(ids), AuditEvent.actor_id.in_(ids)))
    if filters.client_id:
        query = query.where(AuditEvent.client_id == filters.client_id.strip())
    if filters.type:
        # "login" matches "login.failed", "login.succeeded"…; "login.failed" only itself.
        kind = filters.type.strip()
        query = query.where(or_(AuditEvent.type == kind, AuditEvent.type.startswith(kind + ".")))
    # The days an admin picks are days of TIME_ZONE, like the times the page shows.
    zone = current_app.config["TIME_ZONE"]
    if filters.since:
        query = query.where(AuditEvent.created_at >= day_starts_at(filters.since, zone))
    if filters.until:
        end = day_starts_at(filters.until + timedelta(days=1), zone)
        query = query.where(AuditEvent.created_at < end)
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def search(filters: Filters, page: int = 1, per_page: int = 50):
    """A Flask-SQLAlchemy Pagination of matching events, newest first."""
    return db.paginate(_query(filters), page=max(page, 1), per_page=per_page, error_out=False)


def recent_for(account: Any, limit: int = 10) -> list[AuditEvent]:
    """The latest events about `account` (what the person sees in their profile)."""
    query = (
        db.select(AuditEvent)
        .where(AuditEvent.account_id == account.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def events_of(account: Any) -> list[AuditEvent]:
    """Every event about `account`, oldest first (personal data export)."""
    query = (
        db.select(AuditEvent)
        .where(AuditEvent.account_id == account.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return list(db.session.scalars(query))


def retention_days() -> int:
    return int(current_app.config["AUDIT_RETENTION_DAYS"])


def prune(days: int | None = None, now: datetime | None = None) -> int:
    """Delete events older than the retention, in batches (commits: the first prune after
    a shorter retention may remove millions). Returns how many."""
    days = retention_days() if days is None else days
    if days < 1:
        raise ValueError("the retention must be at least one day")
    cutoff = (now or utcnow()) - timedelta(days=days)
    return delete_where(AuditEvent, AuditEvent.created_at < cutoff, batch_size())


def as_dict(event: AuditEvent, *, with_ids: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "time": event.created_at.isoformat() + "Z",
        "type": event.type,
        "client_id": event.client_id,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "details": event.details or {},
    }
    if with_ids:
        data = {"id": event.id, **data, "account_id": event.account_id, "actor_id": event.actor_id}
    return data
