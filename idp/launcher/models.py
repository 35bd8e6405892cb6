"""The service launcher: one entry per client application that people may open."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from idp.core.extensions import db

__all__ = ["LauncherEntry"]


class LauncherEntry(db.Model):
    __tablename__ = "launcher_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The OAuth client_id of the application (one entry per client).
    client_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    icon_url: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=100, nullable=False)
    visible: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
