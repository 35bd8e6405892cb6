"""Account removal: tell the relying parties, then delete what Compte holds on the person.

Deletion walks the schema: every row that points at the account (directly or through
another row that does) is deleted, or its link set to NULL where the foreign key says
ON DELETE SET NULL (the audit trail survives, anonymous). It is done here rather than left
to the database because SQLite does not enforce foreign keys unless asked to.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from idp import audit
from idp.accounts import signals
from idp.accounts.models import Account
from idp.accounts.sessions import end_sessions
from idp.core.extensions import db
from idp.core.signals import answers
from idp.mail.models import OutboxMessage


def _remove_rows(table: sa.Table, where: Any, seen: frozenset[str] = frozenset()) -> None:
    """Delete rows of `table` matching `where`, after dealing with rows that point at them."""
    seen = seen | {table.name}
    for child in db.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is not table:
                continue
            link = fk.parent.in_(sa.select(fk.column).where(where))
            cascade = (fk.ondelete or "").upper() == "CASCADE"
            if child is table or not cascade and fk.parent.nullable:
                # SET NULL (or no rule on a nullable link, or a table pointing at itself such
                # as a token's parent): keep the row, drop the link.
                if fk.parent.nullable:
                    db.session.execute(sa.update(child).where(link).values({fk.parent.name: None}))
            elif child.name not in seen:
                _remove_rows(child, link, seen)
    db.session.execute(sa.delete(table).where(where))


def _forget_mail(email: str) -> None:
    """Outbox copies addressed to the person hold personal data too."""
    recipients = sa.cast(OutboxMessage.recipients, sa.String)
    db.session.execute(sa.delete(OutboxMessage).where(recipients.contains(f'"{email}"')))


def delete_account(account: Account, *, actor: Account | None = None) -> None:
    """Tell the RPs, remove the account and everything that points at it, commit.

    `actor` is the admin who removed it (None: the person themself). Export the data
    first (idp.accounts.export) when it must be handed over.
    """
    told = end_sessions(account, "deleted", revoke_all_tokens=True)
    account_id, email, secondary = account.id, account.email, account.secondary_email
    # The other areas' rows that name the account without a foreign key (by sid, by
    # address: invitations), before the rows they go through disappear.
    answers(signals.account_deleting, account=account)
    db.session.flush()
    db.session.expunge(account)
    _remove_rows(Account.__table__, Account.__table__.c.id == account_id)
    _forget_mail(email)
    if secondary:
        _forget_mail(secondary)
    audit.record(
        "account.deleted",
        actor=actor,
        by="admin" if actor is not None else "self",
        deleted_account_id=account_id,
        rp_notified=told,
    )
    db.session.commit()
