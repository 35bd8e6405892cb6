"""On PostgreSQL a purge batch never keeps its locks while it waits on another
transaction's: a batch that waits past PURGE_LOCK_TIMEOUT (here: behind a row a slow
request holds) is rolled back and tried again, smaller, after a pause; after too many in
a row the pass gives up and the next one finishes the work."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import sqlalchemy as sa

from idp.core import batches
from idp.core.extensions import db
from idp.oidc import maintenance
from idp.oidc.models import Token
from tests.oidc.helpers import stored_token
from tests.support.accounts import make_account

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

# How long the other transaction holds the live child row, and the longest a request may
# wait for the table while it does: a batch stalled behind that row used to hold its locks
# for the whole hold.
HOLD = 2.0
TOLERATED_WAIT = 0.5


def _expired_parent_with_live_child(app, client_id: str) -> tuple[int, int]:
    """An expired refresh token (the purge deletes it) rotated into a live one (the purge
    detaches it from its parent): their ids."""
    account_id = make_account(app)
    with app.app_context():
        parent = stored_token(client_id, account_id, 1, live=False)
        db.session.add(parent)
        db.session.flush()
        child = stored_token(client_id, account_id, 2, live=True, parent_id=parent.id)
        db.session.add(child)
        db.session.commit()
        return parent.id, child.id


def _hold_row(app, token_id: int) -> sa.Connection:
    """Another transaction holding the row, as a slow request would: its connection."""
    with app.app_context():
        holder = db.engine.connect()
    holder.execute(sa.select(Token.id).where(Token.id == token_id).with_for_update())
    return holder


def _purge_in_thread(app) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def purge() -> None:
        with app.app_context():
            result["counts"] = maintenance.run()

    thread = threading.Thread(target=purge)
    thread.start()
    return thread, result


def _table_waits(app, seconds: float) -> list[float]:
    """For `seconds`: take the token table in SHARE mode (what CREATE INDEX does; it waits
    for every transaction writing to the table), each time with a 1 s lock_timeout; how
    long each took (1.0 when it timed out)."""
    waits = []
    with app.app_context():
        connection = db.engine.connect()
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.monotonic()
            try:
                connection.execute(sa.text("SET LOCAL lock_timeout = '1s'"))
                connection.execute(sa.text("LOCK TABLE oauth_token IN SHARE MODE"))
                waits.append(time.monotonic() - started)
            except sa.exc.OperationalError:
                waits.append(1.0)
            connection.rollback()
            time.sleep(0.01)
    finally:
        connection.close()
    return waits


def _state(app, parent: int, child: int) -> tuple[bool, int | None]:
    """(whether the expired parent is still there, the live child's parent_id)."""
    with app.app_context():
        db.session.expire_all()
        kept = db.session.get(Token, parent) is not None
        return kept, db.session.get(Token, child).parent_id


def test_a_stalled_purge_batch_gives_its_locks_back_and_the_purge_still_finishes(
    app, rp, monkeypatch
):
    """While a live child row is held for 2 s, the batch that must detach it is cancelled
    at PURGE_LOCK_TIMEOUT and retried: a request wanting the whole table gets it within
    0.5 s every time, and once the row is free the same pass purges the parent."""
    monkeypatch.setattr(batches, "FIRST_PAUSE", 0.05)
    parent, child = _expired_parent_with_live_child(app, rp.client_id)
    holder = _hold_row(app, child)
    try:
        purge, result = _purge_in_thread(app)
        waits = _table_waits(app, HOLD)
    finally:
        holder.rollback()
        holder.close()
    purge.join(timeout=30)

    assert not purge.is_alive()
    assert len(waits) > 10 and max(waits) < TOLERATED_WAIT, waits
    assert result["counts"]["tokens"] == 1
    assert _state(app, parent, child) == (False, None)


def test_a_purge_that_keeps_stalling_leaves_the_rest_to_the_next_pass(app, rp, monkeypatch, caplog):
    """Batches cancelled GIVE_UP times in a row: the pass ends without an error, says so in
    the log and leaves the rows; the next pass, the row free again, removes them."""
    monkeypatch.setattr(batches, "FIRST_PAUSE", 0.01)
    monkeypatch.setattr(batches, "GIVE_UP", 3)
    parent, child = _expired_parent_with_live_child(app, rp.client_id)
    holder = _hold_row(app, child)
    try:
        with caplog.at_level(logging.WARNING, logger="idp.core.batches"), app.app_context():
            counts = maintenance.run()
    finally:
        holder.rollback()
        holder.close()

    assert counts["tokens"] == 0
    assert _state(app, parent, child) == (True, parent)
    assert "purge of oauth_token left for the next pass" in caplog.text

    with app.app_context():
        assert maintenance.run()["tokens"] == 1
    assert _state(app, parent, child) == (False, None)
