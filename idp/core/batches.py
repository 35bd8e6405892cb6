"""Removing many rows without holding locks for long: the periodic purges work through
these, a small batch per transaction (PURGE_BATCH_SIZE rows; figures in
docs/benchmarks.md, measured by scripts/bench_purge.py on 10,000,000 tokens)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from idp.core.extensions import db

# A statement looks at most this many batches' worth of consecutive ids: where few rows are
# expired, finding a batch would otherwise read the whole table in one transaction.
WINDOW = 50


def in_batches(
    model: type[db.Model], condition: sa.ColumnElement[bool], act: Callable[[list], int], batch: int
) -> int:
    """Call `act(ids)` on the ids of the rows of `model` matching `condition`, at most
    `batch` at a time, in id order; commits after each batch. Returns the sum of what
    `act` returned. Rows added meanwhile (past the largest id at the start) are left."""
    low, high = db.session.execute(sa.select(sa.func.min(model.id), sa.func.max(model.id))).one()
    db.session.commit()
    if low is None:
        return 0
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    done = 0
    after = low - 1
    while after < high:
        if postgresql:
            # The locks go at COMMIT without waiting for the disk: a batch lost in a crash
            # is only purged again at the next pass.
            db.session.execute(sa.text("SET LOCAL synchronous_commit = off"))
        upto = min(after + batch * WINDOW, high)
        query = (
            sa.select(model.id)
            .where(model.id > after, model.id <= upto, condition)
            .order_by(model.id)
            .limit(batch)
        )
        if postgresql:
            # A second purge running meanwhile takes the rows this one has not locked.
            query = query.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(query))
        if ids:
            done += act(ids)
        db.session.commit()
        # A full batch may have left rows in the window; otherwise the window is done.
        after = ids[-1] if len(ids) == batch else upto
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
    batch committed on its own."""
    done = 0
    while True:
        chosen = sa.select(key).where(condition).limit(batch).scalar_subquery()
        statement = sa.delete(model).where(key.in_(chosen))
        removed = count(db.session.execute(statement.execution_options(synchronize_session=False)))
        db.session.commit()
        done += removed
        if removed < batch:
            return done


def batch_size() -> int:
    """PURGE_BATCH_SIZE: rows removed per transaction."""
    return int(current_app.config["PURGE_BATCH_SIZE"])
