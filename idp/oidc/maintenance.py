"""Periodic clean-up of the OpenID Provider tables (`compte oidc purge`, and at serve)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from idp.accounts.devices import DEVICE_MEMORY
from idp.accounts.models import BrowserSession
from idp.accounts.sessions import lifetimes
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.oidc.keys import prune_keys
from idp.oidc.models import AuthorizationCode, SessionClient, Token, UsedJti
from idp.oidc.tokens import forget_retry_answers

log = logging.getLogger(__name__)
# Used codes are kept this long after expiry so that a late replay is still recognised.
CODE_KEEP = 3600
SESSION_KEEP = timedelta(days=1)


def _end_timed_out_sessions() -> int:
    """Mark the sessions past their idle timeout or absolute lifetime as ended (requests
    already refuse them; this lets them be purged)."""
    now = utcnow()
    limits = lifetimes()
    total = 0
    for reason, condition in (
        ("idle", BrowserSession.last_seen_at < now - limits.idle),
        ("expired", BrowserSession.created_at < now - limits.absolute),
    ):
        total += (
            db.session.execute(
                db.update(BrowserSession)
                .where(BrowserSession.ended_at.is_(None), condition)
                .values(ended_at=now, ended_reason=reason)
            ).rowcount
            or 0
        )
    return total


def _remembers_a_browser() -> sa.ColumnElement[bool]:
    """The newest session of each browser of an account, ended within DEVICE_MEMORY: kept,
    so that a later sign-in from that browser is not taken for a new device (and mailed)."""
    newer = aliased(BrowserSession)
    return sa.and_(
        BrowserSession.device_hash.is_not(None),
        BrowserSession.ended_at >= utcnow() - DEVICE_MEMORY,
        ~sa.exists().where(
            newer.account_id == BrowserSession.account_id,
            newer.device_hash == BrowserSession.device_hash,
            newer.id > BrowserSession.id,
        ),
    )


def run() -> dict[str, int]:
    """Delete expired codes, used jti markers, dead tokens, ended sessions and retired
    keys past publication. Commits; returns how many rows of each were removed."""
    now = int(time.time())
    counts = {}
    counts["codes"] = db.session.execute(
        db.delete(AuthorizationCode).where(AuthorizationCode.expires_at < now - CODE_KEEP)
    ).rowcount
    counts["jti"] = db.session.execute(db.delete(UsedJti).where(UsedJti.expires_at < now)).rowcount
    dead_access = (Token.issued_at + Token.expires_in) < now
    dead_refresh = Token.refresh_expires_at.is_(None) | (Token.refresh_expires_at < now)
    # Detach children first (parent_id), then delete tokens that can no longer be used.
    doomed = db.select(Token.id).where(dead_access, dead_refresh)
    db.session.execute(db.update(Token).where(Token.parent_id.in_(doomed)).values(parent_id=None))
    counts["tokens"] = db.session.execute(
        db.delete(Token)
        .where(dead_access, dead_refresh)
        .execution_options(synchronize_session=False)
    ).rowcount
    counts["retry_answers"] = forget_retry_answers()
    counts["sessions_timed_out"] = _end_timed_out_sessions()
    ended = db.select(BrowserSession.sid).where(BrowserSession.ended_at < utcnow() - SESSION_KEEP)
    db.session.execute(db.delete(SessionClient).where(SessionClient.sid.in_(ended)))
    counts["sessions"] = db.session.execute(
        db.delete(BrowserSession)
        .where(BrowserSession.ended_at < utcnow() - SESSION_KEEP, sa.not_(_remembers_a_browser()))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    counts["keys"] = prune_keys()
    log.info("oidc purge: %s", counts)
    return counts
