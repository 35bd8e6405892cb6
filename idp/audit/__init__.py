"""Audit log: `record()` is the one call every area uses."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from idp.audit.models import AuditEvent
from idp.extensions import db


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
    event = AuditEvent(
        type=event_type,
        account_id=getattr(account, "id", account),
        actor_id=getattr(actor, "id", actor),
        client_id=client_id,
        details=details,
    )
    if has_request_context():
        event.ip_address = request.remote_addr
        event.user_agent = (request.user_agent.string or "")[:300]
    db.session.add(event)
    return event
