"""The one clock: naive UTC timestamps, as both SQLite and PostgreSQL columns store them."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC timestamp (what both SQLite and PostgreSQL columns store here)."""
    return datetime.now(UTC).replace(tzinfo=None)
