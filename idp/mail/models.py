"""The outbox: every mail is written here first, then delivered (and retried) from here by
the delivery worker (idp/mail/worker.py), never inside a person's request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = ["OutboxMessage"]

PENDING, SENT, DEAD = "pending", "sent", "dead"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    recipients: Mapped[list] = mapped_column(JSON, nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    # Which mail it is (the template name), shown to administrators instead of the body.
    template: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    # The text and HTML bodies, sealed (idp/core/sealing.py): they hold live links. Removed as
    # soon as the SMTP server has accepted the message.
    sealed_body: Mapped[str | None] = mapped_column(Text)
    # "pending" (to send or retry), "sent", or "dead" (gave up: shown to administrators).
    status: Mapped[str] = mapped_column(String(8), default=PENDING, index=True, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True, nullable=False)
    # A worker took the message until then (a lease: a worker that dies frees it).
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    dead_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
