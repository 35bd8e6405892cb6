"""Tables of the administration area (the Invitation model lives in invitations_models)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = ["InitialAccessToken"]


class InitialAccessToken(db.Model):
    """A bearer token an admin hands out to open Dynamic Client Registration (RFC 7591)."""

    __tablename__ = "initial_access_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 hex of the token: the token is a bearer secret, shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    used_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # None: any number of registrations until it expires.
    max_uses: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None]

    def usable(self, now: datetime | None = None) -> bool:
        """Not revoked, not expired, not used up."""
        now = now or utcnow()
        if self.revoked_at is not None or self.expires_at <= now:
            return False
        return self.max_uses is None or self.used_count < self.max_uses


try:  # The people part of the administration adds the Invitation model there.
    from idp.admin.invitations_models import *  # noqa: F403
    from idp.admin.invitations_models import __all__ as _invitation_names

    __all__ += list(_invitation_names)
except ImportError:  # pragma: no cover - until that module lands
    pass
