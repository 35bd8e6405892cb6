"""Audit log: `record()` is the one call every area uses."""

from __future__ import annotations

import logging
from typing import Any

from flask import has_app_context, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from idp.audit.models import AuditEvent
from idp.core import metrics
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.ratelimit import storage_changed


def _where_from() -> dict[str, str | None]:
    """The address and browser of the request being served, if any."""
    if not has_request_context():
        return {}
    return {
        "ip_address": request.remote_addr,
        "user_agent": (request.user_agent.string or "")[:300],
    }


def record(
    event_type: str,
    account: Any = None,
    client_id: str | None = None,
    actor: Any = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits).

    Never pass secrets (passwords, tokens) in `details`.
    """
    row = event_row(
        event_type,
        account_id=getattr(account, "id", account),
        client_id=client_id,
        where=_where_from(),
        **details,
    )
    event = AuditEvent(**{**row, "actor_id": getattr(actor, "id", actor)})
    db.session.add(event)
    counted(row)  # sign-ins, tokens issued, refresh reuse
    return event


def event_row(
    event_type: str,
    account_id: int | None = None,
    client_id: str | None = None,
    where: dict[str, str | None] | None = None,
    **details: Any,
) -> dict[str, Any]:
    """The audit_event row `record` would add, for a path that writes without the ORM
    (idp/oidc/lean), which calls `counted` once the row is written. `where`: the
    ip_address and user_agent of the request."""
    return {
        "type": event_type,
        "created_at": utcnow(),
        "account_id": account_id,
        "actor_id": None,
        "client_id": client_id,
        "details": details,
        **(where or {}),
    }


def counted(row: dict[str, Any]) -> None:
    """Count a written `event_row` in the metrics, as `record` counts its events."""
    metrics.observe_event(row["type"], row["details"])


def record_now(event_type: str, **details: Any) -> None:
    """Record an event in a transaction of its own, committed at once: for what happens
    beside a request's own work (a part of the system going down), which must be kept
    even when that request's work is rolled back."""
    if not has_app_context():
        return
    values = {"type": event_type, "details": details, "created_at": utcnow(), **_where_from()}
    try:
        with db.engine.begin() as connection:
            connection.execute(AuditEvent.__table__.insert().values(**values))
    except SQLAlchemyError:  # the database may be out too; the log line stays
        logging.getLogger(__name__).warning("audit event %s not recorded", event_type)
    metrics.observe_event(event_type, details)


@storage_changed.connect
def _rate_limit_storage_changed(sender: object, available: bool, **details: Any) -> None:
    record_now(
        "ratelimit.storage_recovered" if available else "ratelimit.storage_unavailable",
        **details,
    )
