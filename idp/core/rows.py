"""Rows named by an id taken from a URL."""

from __future__ import annotations

from typing import Any

from idp.core.extensions import db

MAX_ROW_ID = 2**31 - 1  # INTEGER primary keys (PostgreSQL int4; SQLite refuses > 2**63)


def get_row(model: Any, row_id: int) -> Any | None:
    """`db.session.get` for an id taken from the URL: None (→ 404) when it cannot be a row
    id, instead of a database error on an out-of-range integer."""
    if not 0 < row_id <= MAX_ROW_ID:
        return None
    return db.session.get(model, row_id)
