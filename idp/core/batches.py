"""Removing many rows without holding locks for long: the periodic purges work through
these, a small batch per transaction (PURGE_BATCH_SIZE rows), each transaction bounded in
time (PURGE_TRANSACTION_TIMEOUT; figures in docs/benchmarks.md, measured by
scripts/bench_purge.py on 10,000,000 tokens)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app

from idp.core.extensions import db

log = logging.getLogger(__name__)
Result = TypeVar("Result")

# A statement looks at most this many batches' worth of consecutive ids: where few rows are
# expired, finding a batch would otherwise read the whole table in one transaction.
WINDOW = 50
# After a batch cancelled for running past its time: wait this long before the next try
# (doubling up to LONGEST_PAUSE), so that a stalled disk serves the requests first; give up
# the pass after GIVE_UP cancellations in a row (the next pass starts again).
FIRST_PAUSE = 0.5
LONGEST_PAUSE = 8.0
GIVE_UP = 10
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement past statement_timeout


class _Pace:
    """The size of the next batch: halved each time a batch runs past its time (down to
    one row), doubled back after each batch that did not (up to the configured size)."""

    def __init__(self, batch: int, what: str) -> None:
        self.batch = batch
        self.size = batch
        self.what = what
        self.cancelled = 0
        self.gave_up = False

    def done(self) -> None:
        self.size = min(self.batch, self.size * 2)
        self.cancelled = 0

    def stalled(self) -> None:
        """After a cancelled batch: a smaller batch after a pause, or give up the pass."""
        self.cancelled += 1
        if self.cancelled >= GIVE_UP:
            log.warning(
                "purge of %s left for the next pass: %d batches in a row ran past "
                "PURGE_TRANSACTION_TIMEOUT",
                self.what,
                self.cancelled,
            )
            self.gave_up = True
            return
        self.size = max(1, self.size // 2)
        time.sleep(min(FIRST_PAUSE * 2 ** (self.cancelled - 1), LONGEST_PAUSE))


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


@contextmanager
def _time_bounded(postgresql: bool) -> Iterator[None]:
    """One batch's transaction, committed at the end. On PostgreSQL every statement in it
    gets, as its statement_timeout, what is left of PURGE_TRANSACTION_TIMEOUT since the
    transaction began: past it PostgreSQL cancels the statement and the transaction rolls
    back, releasing its locks, rather than holding them through a stalled disk.

    Written here because PostgreSQL before 17 has no transaction_timeout and
    SQLAlchemy has no time budget across statements."""
    if not postgresql:
        yield
        db.session.commit()
        return
    deadline = time.monotonic() + float(current_app.config["PURGE_TRANSACTION_TIMEOUT"])
    connection = db.session.connection()
    # The locks go at COMMIT without waiting for the disk: a batch lost in a crash is only
    # purged again at the next pass.
    connection.execute(sa.text("SET LOCAL synchronous_commit = off"))

    def bound(_conn, cursor, _statement, _parameters, _context, _many) -> None:
        left = max(1, int((deadline - time.monotonic()) * 1000))
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", (f"{left}ms",))

    sa.event.listen(connection, "before_cursor_execute", bound)
    try:
        yield
    finally:
        sa.event.remove(connection, "before_cursor_execute", bound)
    db.session.commit()


def _cancelled(error: sa.exc.DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == QUERY_CANCELED


def _batch(pace: _Pace, postgresql: bool, work: Callable[[int], Result]) -> Result | None:
    """`work(size)` in one time-bounded transaction; None when it ran past its time
    (rolled back; then the pause, or `pace.gave_up`)."""
    try:
        with _time_bounded(postgresql):
            result = work(pace.size)
    except sa.exc.OperationalError as error:
        if not _cancelled(error):
            raise
        db.session.rollback()
        pace.stalled()
        return None
    pace.done()
    return result


def in_batches(
    model: type[db.Model], condition: sa.ColumnElement[bool], act: Callable[[list], int], batch: int
) -> int:
    """Call `act(ids)` on the ids of the rows of `model` matching `condition`, at most
    `batch` at a time, in id order; each batch its own time-bounded transaction. Returns
    the sum of what `act` returned. Rows added meanwhile (past the largest id at the start)
    are left."""
    low, high = db.session.execute(sa.select(sa.func.min(model.id), sa.func.max(model.id))).one()
    db.session.commit()
    if low is None:
        return 0
    postgresql = _is_postgresql()
    pace = _Pace(batch, model.__tablename__)
    done = 0
    after = low - 1

    def one_batch(size: int) -> tuple[int, int]:
        """(rows acted on, where the next batch starts)."""
        upto = min(after + batch * WINDOW, high)
        query = (
            sa.select(model.id)
            .where(model.id > after, model.id <= upto, condition)
            .order_by(model.id)
            .limit(size)
        )
        if postgresql:
            # A second purge running meanwhile takes the rows this one has not locked.
            query = query.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(query))
        acted = act(ids) if ids else 0
        # A full batch may have left rows in the window; otherwise the window is done.
        return acted, ids[-1] if len(ids) == size else upto

    while after < high and not pace.gave_up:
        outcome = _batch(pace, postgresql, one_batch)
        if outcome is not None:
            acted, after = outcome
            done += acted
    return done


def count(result: sa.Result) -> int:
    return result.rowcount or 0


def delete_where(model: type[db.Model], condition: sa.ColumnElement[bool], batch: int) -> int:
    """Delete the rows of `model` matching `condition`, in batches."""

    def delete(ids: list) -> int:
        # The condition again: on SQLite nothing locked the rows between select and delete.
        statement = sa.delete(model).where(model.id.in_(ids), condition)
        return count(db.session.execute(statement.execution_options(synchronize_session=False)))

    return in_batches(model, condition, delete, batch)


def delete_limited(
    model: type[db.Model], key: sa.ColumnElement, condition: sa.ColumnElement[bool], batch: int
) -> int:
    """Delete the rows of `model` matching `condition`, `batch` at a time by their key
    (for tables whose primary key is not an integer; small, short-lived tables), each
    batch its own time-bounded transaction."""
    postgresql = _is_postgresql()
    pace = _Pace(batch, model.__tablename__)
    done = 0

    def one_batch(size: int) -> tuple[int, bool]:
        """(rows deleted, whether rows may be left)."""
        chosen = sa.select(key).where(condition).limit(size).scalar_subquery()
        statement = sa.delete(model).where(key.in_(chosen))
        removed = count(db.session.execute(statement.execution_options(synchronize_session=False)))
        return removed, removed == size

    while not pace.gave_up:
        outcome = _batch(pace, postgresql, one_batch)
        if outcome is not None:
            removed, more = outcome
            done += removed
            if not more:
                break
    return done


def batch_size() -> int:
    """PURGE_BATCH_SIZE: rows removed per transaction."""
    return int(current_app.config["PURGE_BATCH_SIZE"])
