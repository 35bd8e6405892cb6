"""The person's open browser sessions as the sessions page shows them ("Vos appareils et
sessions"): browser and system, approximate place, first and last seen, the services
opened there; and ending one of them from that page (through sessions.end_sessions, so
its services are told and its tokens revoked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from idp.accounts import signals
from idp.accounts.devices import describe_agent
from idp.accounts.models import Account, BrowserSession
from idp.accounts.places import place_of
from idp.accounts.sessions import (
    current_sid,
    end_sessions,
    lifetimes,
    remembered_until,
    why_not_live,
)
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.rows import get_row
from idp.core.signals import answers

# Why a session ended when its owner closed it from the sessions page (ended_reason).
ENDED_BY_OWNER = "ended_by_owner"


@dataclass(frozen=True)
class OpenSession:
    id: int  # the row's id: the page's forms name a session by it, never by its sid
    current: bool  # this browser
    device: str
    place: str | None
    created_at: datetime
    last_seen_at: datetime
    services: list[str] = field(default_factory=list)
    remembered_until: datetime | None = None  # "Rester connecté": when it ends


def live_rows(account: Account) -> list[BrowserSession]:
    """The account's sessions still in use (not ended, nor idle or expired), most
    recently seen first."""
    now, limits = utcnow(), lifetimes()
    ordinary = sa.and_(
        BrowserSession.last_seen_at > now - limits.idle,
        BrowserSession.created_at > now - limits.absolute,
    )
    remembered = sa.and_(
        BrowserSession.remembered.is_(True),
        BrowserSession.created_at > now - limits.remembered,
    )
    rows = db.session.scalars(
        sa.select(BrowserSession)
        .where(
            BrowserSession.account_id == account.id,
            BrowserSession.ended_at.is_(None),
            sa.or_(ordinary, remembered),
        )
        .order_by(BrowserSession.last_seen_at.desc(), BrowserSession.id.desc())
    )
    return [r for r in rows if why_not_live(r, account, account.id, None, now, limits) is None]


def _services(sids: list[str]) -> dict[str, list[str]]:
    """{sid: service names}, asked of the areas above (idp/oidc/logout.py answers)."""
    merged: dict[str, list[str]] = {}
    for answer in answers(signals.session_services, sids=sids) if sids else []:
        for sid, names in answer.items():
            merged.setdefault(sid, []).extend(names)
    return merged


def open_sessions(account: Account) -> list[OpenSession]:
    """What the sessions page lists: this browser first, then the most recently seen."""
    rows, limits = live_rows(account), lifetimes()
    this = current_sid()
    services = _services([row.sid for row in rows])
    entries = [
        OpenSession(
            id=row.id,
            current=row.sid == this,
            device=describe_agent(row.user_agent),
            place=place_of(row.ip_address),
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            services=services.get(row.sid, []),
            remembered_until=remembered_until(row, limits),
        )
        for row in rows
    ]
    return sorted(entries, key=lambda entry: not entry.current)  # stable: order kept


def find_own(account: Account, session_id: int) -> BrowserSession | None:
    """The account's session with this id (None for another account's: never told apart
    from one that does not exist)."""
    row = get_row(BrowserSession, session_id)
    return row if row is not None and row.account_id == account.id else None


def is_live(account: Account, row: BrowserSession) -> bool:
    """Still usable (another tab may have ended it since the page was shown)."""
    return why_not_live(row, account, account.id, None, utcnow(), lifetimes()) is None


def end_other(account: Account, row: BrowserSession) -> int:
    """End another browser's session: its tokens are revoked and its services told by
    back-channel logout (front-channel logout can only run in the browser being signed
    out). Returns how many services were told."""
    return end_sessions(account, ENDED_BY_OWNER, sids=[row.sid])
