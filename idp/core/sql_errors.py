"""SQL errors: which ones mean the database is out (`is_outage`), and printing none of their
values. The engine runs with `hide_parameters=True` (set by the
app factory) so that "[parameters: …]" never appears; but PostgreSQL's own message adds
values too — "DETAIL: Failing row contains (…, sid, …)", "Key (token_hash)=(…) already
exists.", `invalid input syntax for type integer: "…"`. Every engine's errors are
scrubbed here before anything can log them; the full diagnostics stay on the driver's
error (`error.orig.diag`) for code that needs them.
"""

from __future__ import annotations

import re
import sqlite3

import sqlalchemy as sa
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# From the first DETAIL or CONTEXT line to the end (they quote rows, keys and values).
_DETAILS = re.compile(r"\n\s*(?:DETAIL|CONTEXT):.*", re.DOTALL)
_INPUT_VALUE = re.compile(r'(invalid input (?:syntax|value) for [^:\n]*: )"[^\n]*"')


def scrub(message: str) -> str:
    """A database error message without the values it quotes."""
    return _INPUT_VALUE.sub(r'\1"…"', _DETAILS.sub("", message))


def _scrub_args(error: BaseException | None) -> None:
    if error is not None and error.args and isinstance(error.args[0], str):
        error.args = (scrub(error.args[0]), *error.args[1:])


def _scrub_error(context: ExceptionContext) -> None:
    _scrub_args(context.original_exception)  # shown as the cause in tracebacks
    _scrub_args(context.sqlalchemy_exception)


def install() -> None:
    """Scrub the errors of every engine (idempotent)."""
    if not sa.event.contains(Engine, "handle_error", _scrub_error):
        sa.event.listen(Engine, "handle_error", _scrub_error)


# SQLite's OperationalError also covers bugs ("no such column"): only these are outages.
SQLITE_OUTAGES = ("database is locked", "unable to open database", "disk i/o error")


def is_outage(error: BaseException) -> bool:
    """The database could not be reached (as opposed to a bug in a query)."""
    if isinstance(error, PoolTimeout):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError):
        if isinstance(error.orig, sqlite3.Error):
            return any(text in str(error.orig).lower() for text in SQLITE_OUTAGES)
        return True  # PostgreSQL: the server or the connection to it
    return False
