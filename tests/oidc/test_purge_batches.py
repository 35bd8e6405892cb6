"""The OpenID Provider purge (idp/oidc/maintenance.py) works in batches of a few rows, each
its own transaction, and still removes exactly what the one-shot purge removed."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from idp.accounts.models import BrowserSession
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.oidc import maintenance
from idp.oidc.models import AuthorizationCode, SessionClient, Token, UsedJti
from tests.oidc.helpers import stored_token
from tests.support.accounts import make_account


def test_a_purge_in_batches_of_two_removes_every_expired_row_and_keeps_every_live_one(app, make_rp):
    """Batches of 2: every expired row goes, every live one stays, orphaned children detached."""
    rp = make_rp()
    account_id = make_account(app)
    now = int(time.time())
    old = utcnow() - timedelta(days=3)
    with app.app_context():
        # Two of every three tokens expired, interleaved with the live ones.
        tokens = [stored_token(rp.client_id, account_id, n, live=n % 3 == 2) for n in range(30)]
        tokens.append(
            Token(  # a client_credentials token: no refresh token, its access token expired
                client_id=rp.client_id,
                access_token_hash="f" * 64,
                family_id="service",
                issued_at=now - 7200,
                expires_in=60,
            )
        )
        db.session.add_all(tokens)
        db.session.flush()
        dead = {t.id for n, t in enumerate(tokens) if n % 3 != 2}
        live = {t.id for t in tokens} - dead
        # Rotation chains: a live child of an expired parent (detached, kept), an expired
        # child of an expired parent (both deleted), a live child of a live parent (kept as
        # is); and sealed answers of rotations, one past the grace, one within it.
        tokens[2].parent_id = tokens[1].id
        tokens[4].parent_id = tokens[3].id
        tokens[8].parent_id = tokens[5].id
        tokens[2].retry_answer, tokens[2].rotated_at = "sealed", old
        tokens[5].retry_answer, tokens[5].rotated_at = "sealed", utcnow()
        for n in range(9):
            db.session.add(
                AuthorizationCode(
                    code_hash=f"{n:064x}",
                    client_id=rp.client_id,
                    account_id=account_id,
                    auth_time=now,
                    # Used codes are kept an hour past expiry (a late replay is recognised).
                    expires_at=now - maintenance.CODE_KEEP - 60 if n < 6 else now - 60,
                )
            )
            db.session.add(
                UsedJti(
                    client_id=rp.client_id, jti=f"j{n}", expires_at=now - (60 if n < 6 else -60)
                )
            )
        sessions = [
            BrowserSession(
                sid=f"s{n}",
                account_id=account_id,
                created_at=old if n < 7 else utcnow(),
                last_seen_at=old if n < 7 else utcnow(),
                ended_at=old if n < 5 else None,
            )
            for n in range(9)
        ]
        db.session.add_all(sessions)
        db.session.add_all(SessionClient(sid=s.sid, client_id=rp.client_id) for s in sessions)
        db.session.commit()
        live_sessions = {"s7", "s8"}

        widest: list[int] = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.lstrip().upper().startswith(("DELETE", "UPDATE")):
                widest.append(cursor.rowcount)

        sa.event.listen(db.engine, "after_cursor_execute", record)
        try:
            counts = maintenance.run(batch_size=2)
        finally:
            sa.event.remove(db.engine, "after_cursor_execute", record)

        assert counts == {
            "codes": 6,
            "jti": 6,
            "tokens": len(dead),
            "retry_answers": 1,
            "sessions_timed_out": 2,
            "sessions": 5,
            "keys": 0,
        }
        assert max(widest) == 2  # batches really are of 2 rows
        kept = {t.id: t for t in db.session.scalars(sa.select(Token))}
        assert set(kept) == live
        assert kept[tokens[2].id].parent_id is None
        assert kept[tokens[8].id].parent_id == tokens[5].id
        assert kept[tokens[2].id].retry_answer is None
        assert kept[tokens[5].id].retry_answer == "sealed"
        assert db.session.scalar(sa.select(sa.func.count(AuthorizationCode.id))) == 3
        assert db.session.scalar(sa.select(sa.func.count(UsedJti.id))) == 3
        remaining = {s.sid: s for s in db.session.scalars(sa.select(BrowserSession))}
        assert set(remaining) == {"s5", "s6"} | live_sessions
        assert {remaining["s5"].ended_reason, remaining["s6"].ended_reason} == {"idle"}
        assert set(db.session.scalars(sa.select(SessionClient.sid))) == set(remaining)


def test_the_purge_ends_a_remembered_session_only_at_the_end_of_its_lifetime(app):
    """A "Rester connecté" session unused for days is not ended as idle by the purge (a
    request would still accept it); one past REMEMBER_SESSION_LIFETIME is ended."""
    account_id = make_account(app)
    lifetime = timedelta(seconds=int(app.config["REMEMBER_SESSION_LIFETIME"]))
    with app.app_context():
        days_ago = utcnow() - timedelta(days=3)
        too_old = utcnow() - lifetime - timedelta(hours=1)
        db.session.add_all(
            [
                BrowserSession(
                    sid="kept",
                    account_id=account_id,
                    created_at=days_ago,
                    last_seen_at=days_ago,
                    remembered=True,
                ),
                BrowserSession(
                    sid="over",
                    account_id=account_id,
                    created_at=too_old,
                    last_seen_at=utcnow(),
                    remembered=True,
                ),
                BrowserSession(
                    sid="plain",
                    account_id=account_id,
                    created_at=days_ago,
                    last_seen_at=days_ago,
                ),
            ]
        )
        db.session.commit()
        assert maintenance.run()["sessions_timed_out"] == 2
        rows = {s.sid: s for s in db.session.scalars(sa.select(BrowserSession))}
        assert rows["kept"].ended_at is None
        assert rows["over"].ended_reason == "expired"
        assert rows["plain"].ended_reason == "idle"
