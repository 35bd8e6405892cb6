"""The links between an upstream identity (a provider and its `sub`) and a Compte account:
found at each upstream sign-in, made only once the person proved the account is theirs
(never silently), removed from the security page while the account keeps another way in.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from idp import audit
from idp.accounts import factors, mails, signals
from idp.accounts.models import Account
from idp.accounts.passwords import has_password
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.rows import get_row
from idp.federation.flow import Identity
from idp.federation.models import UpstreamLink, UpstreamProvider, UpstreamSession


class UnlinkRefused(ValueError):
    """Removing this link would leave the account without any way to sign in."""


def find(provider: UpstreamProvider, subject: str) -> UpstreamLink | None:
    query = sa.select(UpstreamLink).where(
        UpstreamLink.provider_id == provider.id, UpstreamLink.subject == subject
    )
    return db.session.scalar(query)


def links_of(account: Account) -> list[UpstreamLink]:
    """The account's links, oldest first."""
    query = sa.select(UpstreamLink).where(UpstreamLink.account_id == account.id)
    return list(db.session.scalars(query.order_by(UpstreamLink.created_at, UpstreamLink.id)))


def used(link: UpstreamLink, identity: Identity) -> None:
    """A sign-in through the link: when, and the pivot identity as now given (not
    committed)."""
    link.last_used_at = utcnow()
    if identity.pivot_identity:
        link.pivot_identity = identity.pivot_identity


def link(account: Account, provider: UpstreamProvider, identity: Identity, *, via: str) -> None:
    """Make the link (the person proved the account is theirs: `via` says how), audit it,
    commit, and tell the person by mail that a new way to sign in was added. A link made
    meanwhile by a parallel request is kept as it is."""
    row = UpstreamLink(
        provider_id=provider.id,
        account_id=account.id,
        subject=identity.subject,
        pivot_identity=identity.pivot_identity,
        last_used_at=utcnow(),
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return
    audit.record("federation.linked", account=account, provider=provider.name, via=via)
    db.session.commit()
    if via != "registration":  # a new account: the person is making it right now
        mails.security_changed(
            account, str(_l("connexion via %(label)s ajoutée", label=provider.label))
        )


def ways_in(account: Account, *, without: UpstreamLink | None = None) -> int:
    """How many ways the account has to sign in, `without` one link: its password, its
    passkeys (a sign-in without password), its other links."""
    count = int(has_password(account.password_hash))
    count += int("passkey" in factors.enrolled(account))
    others = [row for row in links_of(account) if without is None or row.id != without.id]
    return count + len(others)


def unlink(account: Account, link_id: int) -> str:
    """Remove one of the account's links (audited, committed) and return its provider's
    label; UnlinkRefused when it is the account's last way in, LookupError when it is not
    the account's."""
    row = get_row(UpstreamLink, link_id)  # an id from the URL: maybe out of range
    if row is None or row.account_id != account.id:
        raise LookupError(link_id)
    if not ways_in(account, without=row):
        raise UnlinkRefused(row.provider.label)
    name, label = row.provider.name, row.provider.label
    db.session.execute(
        sa.delete(UpstreamSession).where(
            UpstreamSession.account_id == account.id,
            UpstreamSession.provider_id == row.provider_id,
        )
    )
    db.session.delete(row)
    audit.record("federation.unlinked", account=account, provider=name)
    db.session.commit()
    return label


# --- The account's life (signals of idp/accounts) -------------------------------------


def _forget(sender: Flask, account: Account, **_: Any) -> None:
    # SQLite enforces no ON DELETE CASCADE: the rows go explicitly.
    for model in (UpstreamSession, UpstreamLink):
        db.session.execute(sa.delete(model).where(model.account_id == account.id))


def _export(sender: Flask, account: Account, **_: Any) -> dict[str, Any]:
    return {
        "upstream_links": [
            {
                "provider": row.provider.label,
                "since": row.created_at.isoformat(timespec="seconds"),
                "last_used": row.last_used_at.isoformat(timespec="seconds")
                if row.last_used_at
                else None,
                "pivot_identity": row.pivot_identity,
            }
            for row in links_of(account)
        ]
    }


def init_app(app: Flask) -> None:
    signals.account_deleting.connect(_forget, app)
    signals.account_exporting.connect(_export, app)
