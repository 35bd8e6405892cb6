"""Removing many rows without holding locks for long: the periodic purges work through
these, a small batch per transaction (PURGE_BATCH_SIZE rows), none waiting long behind
another transaction's lock (PURGE_LOCK_TIMEOUT; figures in docs/benchmarks.md, measured
by scripts/bench_purge.py on 10,000,000 tokens)."""

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
# After a batch cancelled for waiting past PURGE_LOCK_TIMEOUT: wait this long before the
# next try (doubling up to LONGEST_PAUSE), so that the transaction holding the lock ends
# first; give up the pass after GIVE_UP cancellations in a row (the next pass goes on).
FIRST_PAUSE = 0.5
LONGEST_PAUSE = 8.0
GIVE_UP = 10
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a wait past lock_timeout


class _Pace:
    """The size of the next batch: halved each time a batch is cancelled (down to one
    row), doubled back after each batch that was not (up to the configured size)."""

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
                "purge of %s left for the next pass: %d batches in a row waited past "
                "PURGE_LOCK_TIMEOUT for a lock",
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
def _bounded(postgresql: bool) -> Iterator[None]:
    """One batch's transaction, committed at the end. On PostgreSQL its statements wait at
    most PURGE_LOCK_TIMEOUT for a lock another transaction holds: past it PostgreSQL
    cancels the statement and the batch rolls back, giving its own locks back at once,
    instead of keeping them for as long as that other transaction runs.

    Its COMMIT does not wait for the disk: a batch lost in a crash is only purged again at
    the next pass. (A statement_timeout was measured too, to cut batches stalled by the
    disk: PostgreSQL only cancels between reads, so stalled statements ran up to 1.9 s
    anyway, and the retries doubled the purge's time; docs/benchmarks.md.)"""
    if postgresql:
        timeout = f"{max(1, round(float(current_app.config['PURGE_LOCK_TIMEOUT']) * 1000))}ms"
        db.session.execute(
            sa.text(
                "SELECT set_config('synchronous_commit', 'off', true),"
                " set_config('lock_timeout', :timeout, true)"
            ),
            {"timeout": timeout},
        )
    yield
    db.session.commit()


def _cancelled(error: sa.exc.DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE


def _batch(pace: _Pace, postgresql: bool, work: Callable[[int], Result]) -> Result | None:
    """`work(size)` in one bounded transaction; None when it waited too long for a lock
    (rolled back; then the pause, or `pace.gave_up`)."""
    try:
        with _bounded(postgresql):
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
    `batch` at a time, in id order; each batch its own bounded transaction. Returns
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
        # The window shrinks with the batch after a cancellation, as the batch does.
        upto = min(after + size * WINDOW, high)
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
    batch its own bounded transaction."""
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
