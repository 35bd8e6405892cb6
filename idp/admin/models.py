"""Invitations: an organisation invites a person to a service (seed 000's first step)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = ["Invitation"]


class Invitation(db.Model):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lower-cased, like Account.email. Not unique: a person may be invited to several services.
    email: Mapped[str] = mapped_column(String(254), index=True, nullable=False)
    civility: Mapped[str | None] = mapped_column(String(4))
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    # The target service: an OAuth client_id (its launcher entry gives name and URL).
    client_id: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    # sha256 of the link's token: the token is a bearer secret and is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    # "admin", "cli" or "api:<client_id>": who asked for it.
    origin: Mapped[str] = mapped_column(String(80), default="admin", nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )

    def status(self, now: datetime | None = None) -> str:
        """One of "accepted", "revoked", "expired", "pending"."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or utcnow()):
            return "expired"
        return "pending"
