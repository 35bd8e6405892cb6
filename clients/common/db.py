"""The relying parties' own database: server-side login sessions and seen logout tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["RpBase", "db", "LoginSession", "SeenLogoutToken", "utcnow"]


class RpBase(DeclarativeBase):
    """Tables of the demo relying parties (never mixed with Compte's metadata)."""


db = SQLAlchemy(model_class=RpBase)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class LoginSession(db.Model):
    """One signed-in browser of this service. The cookie holds only `id`; the tokens stay
    here, and the OP's `sid` lets a back-channel logout end a session whose cookie we
    do not hold."""

    __tablename__ = "rp_login_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), index=True)
    sid: Mapped[str | None] = mapped_column(String(255), index=True)
    id_token: Mapped[str] = mapped_column(Text)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    token_type: Mapped[str] = mapped_column(String(40), default="Bearer")
    expires_at: Mapped[int] = mapped_column(Integer, default=0)
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def token(self) -> dict[str, Any]:
        """The token in the shape Authlib's client expects."""
        token = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_at": self.expires_at,
        }
        if self.refresh_token:
            token["refresh_token"] = self.refresh_token
        return token

    def store_token(self, token: dict[str, Any]) -> None:
        self.access_token = token["access_token"]
        self.token_type = token.get("token_type") or "Bearer"
        self.refresh_token = token.get("refresh_token") or self.refresh_token
        self.expires_at = int(token.get("expires_at") or 0)


class SeenLogoutToken(db.Model):
    """`jti` of every logout token accepted, so that a replayed one is refused."""

    __tablename__ = "rp_seen_logout_token"

    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


COMMON_TABLES = ("rp_login_session", "rp_seen_logout_token")
