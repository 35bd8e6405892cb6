"""The accounts area's purge (idp/accounts/maintenance.py) removes unconfirmed
registrations, used-link markers and the audit log past its retention a few rows per
transaction (PURGE_BATCH_SIZE), and still exactly what it should."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from idp.accounts import maintenance
from idp.accounts.models import Account, UsedLink
from idp.audit import services as audit_services
from idp.audit.models import AuditEvent
from idp.core.clock import utcnow
from idp.core.extensions import db
from tests.support.accounts import make_account


def test_purges_in_batches_of_two_remove_exactly_the_expired_rows(app):
    """Batches of 2: every stale registration, expired link marker and old audit event
    goes, in statements of at most 2 rows; confirmed and recent accounts stay."""
    app.config["PURGE_BATCH_SIZE"] = 2
    long_ago = utcnow() - timedelta(days=400)
    stale = [make_account(app, f"stale{n}@example.org", confirmed=False) for n in range(5)]
    recent = make_account(app, "recent@example.org", confirmed=False)
    confirmed = make_account(app, "kept@example.org")
    with app.app_context():
        db.session.execute(
            sa.update(Account)
            .where(Account.id.in_([*stale, confirmed]))
            .values(created_at=long_ago)
        )
        for n in range(5):
            db.session.add(
                UsedLink(
                    token_hash=f"{n:064x}",
                    purpose="reset",
                    expires_at=utcnow() + timedelta(hours=-1 if n < 3 else 1),
                )
            )
        for _ in range(7):
            db.session.add(AuditEvent(type="test.old", created_at=long_ago, details={}))
        db.session.add(AuditEvent(type="test.new", details={}))
        db.session.commit()

        widest: list[int] = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.lstrip().upper().startswith("DELETE FROM ACCOUNT "):
                widest.append(cursor.rowcount)

        sa.event.listen(db.engine, "after_cursor_execute", record)
        try:
            counts = maintenance.run()
            pruned = audit_services.prune()
        finally:
            sa.event.remove(db.engine, "after_cursor_execute", record)

        assert counts["registrations"] == 5 and counts["used_links"] == 3
        assert pruned == 7
        assert max(widest) <= 2
        left = set(db.session.scalars(sa.select(Account.id)))
        assert left == {recent, confirmed}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UsedLink)) == 2
        kinds = set(db.session.scalars(sa.select(AuditEvent.type)))
        assert "test.old" not in kinds and "test.new" in kinds
