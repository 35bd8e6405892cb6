"""PostgreSQL connections a test left open are closed when it ends, and named.

An engine dropped without `dispose()` leaves its pooled psycopg connections to the garbage
collector, whose ResourceWarning (an error under `filterwarnings = error`) then fails
whichever later test happens to be running. Closing them at the end of the test that opened
them keeps the failure where it belongs: the names land in
`test-output/open-connections.txt` so that the leaking test can be mended."""

from __future__ import annotations

import os
import weakref
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.pool import Pool

REPORT = Path(__file__).resolve().parents[2] / "test-output" / "open-connections.txt"
_opened: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@event.listens_for(Pool, "connect")
def _remember(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__.startswith("psycopg"):
        _opened[dbapi_connection] = os.environ.get("PYTEST_CURRENT_TEST", "?")


def close_left_open() -> None:
    """Close every psycopg connection still open, writing down which test opened it."""
    left = [(conn, test) for conn, test in list(_opened.items()) if not conn.closed]
    _opened.clear()
    if not left:
        return
    REPORT.parent.mkdir(exist_ok=True)
    with REPORT.open("a", encoding="utf-8") as report:
        for conn, test in left:
            report.write(f"{test}\n")
            conn.close()
