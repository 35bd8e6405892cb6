"""The audit log: one row per security-relevant event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = ["AuditEvent"]


class AuditEvent(db.Model):
    """One event. Indexed for what reads the log: the pruning and the admin's pages by
    time (created_at), a person's events (account_id, only where set: events without a
    person, such as every client_credentials token, skip it), the admin's filter by
    client. `type` is not indexed: its filter ("login" or "login.*") is a LIKE no B-tree
    index serves outside the C collation; it is read along created_at."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index(
            "ix_audit_event_account_id",
            "account_id",
            postgresql_where=text("account_id IS NOT NULL"),
            sqlite_where=text("account_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True, nullable=False)
    # Dotted event type, e.g. "account.registered", "login.failed", "admin.client.created".
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    # Kept when the account is deleted (SET NULL), so the trail survives.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # The admin who acted, for admin actions.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    client_id: Mapped[str | None] = mapped_column(String(64), index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
