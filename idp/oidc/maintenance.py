"""Periodic clean-up of the OpenID Provider tables (`compte oidc purge`, and at serve).

Every category is removed in batches of at most PURGE_BATCH_SIZE rows (100: on 7,000,000
expired tokens among 10,000,000, scripts/bench_purge.py measured about 5 ms a batch, p99
9–13 ms; 250 gave p99 17 ms, 1,000 p99 140 ms), each batch its own short
transaction, walking the primary key: with millions of expired tokens no row lock is held
for long and the serving requests never wait behind the purge (scripts/bench_purge.py
measures it). On PostgreSQL the rows another purge has locked are skipped, so that
instances purging at the same time do not wait on each other either.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from idp.accounts.devices import DEVICE_MEMORY
from idp.accounts.models import BrowserSession
from idp.accounts.sessions import lifetimes
from idp.core.batches import batch_size as default_batch_size
from idp.core.batches import count, delete_where, in_batches
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.oidc.keys import prune_keys
from idp.oidc.models import AuthorizationCode, SessionClient, Token, UsedJti
from idp.oidc.tokens import reuse_grace

log = logging.getLogger(__name__)
# Used codes are kept this long after expiry so that a late replay is still recognised.
CODE_KEEP = 3600
SESSION_KEEP = timedelta(days=1)


def _purge_tokens(now: int, batch: int) -> int:
    """Tokens that can no longer be used (access and refresh expired); their children's
    parent_id detached first."""
    dead = sa.and_(
        (Token.issued_at + Token.expires_in) < now,
        Token.refresh_expires_at.is_(None) | (Token.refresh_expires_at < now),
    )

    def delete(ids: list) -> int:
        # Children deleted in the same batch are not updated first, only to be deleted.
        db.session.execute(
            sa.update(Token)
            .where(Token.parent_id.in_(ids), Token.id.not_in(ids))
            .values(parent_id=None)
            .execution_options(synchronize_session=False)
        )
        statement = sa.delete(Token).where(Token.id.in_(ids), dead)
        return count(db.session.execute(statement.execution_options(synchronize_session=False)))

    return in_batches(Token, dead, delete, batch)


def _forget_retry_answers(batch: int) -> int:
    """Drop the sealed answers kept for a retried rotation once past the grace."""
    stale = sa.and_(
        Token.retry_answer.is_not(None),
        Token.rotated_at < utcnow() - timedelta(seconds=max(reuse_grace(), 0)),
    )

    def forget(ids: list) -> int:
        statement = sa.update(Token).where(Token.id.in_(ids), stale).values(retry_answer=None)
        return count(db.session.execute(statement.execution_options(synchronize_session=False)))

    return in_batches(Token, stale, forget, batch)


def _end_timed_out_sessions(batch: int) -> int:
    """Mark the sessions past their idle timeout or absolute lifetime as ended (requests
    already refuse them; this lets them be purged)."""
    now = utcnow()
    limits = lifetimes()
    # A "Rester connecté" session has no idle timeout: it ends REMEMBER_SESSION_LIFETIME
    # after the login, as requests decide (idp/accounts/sessions.why_not_live); with the
    # feature off (0) it ends as an ordinary one.
    ordinary = ~BrowserSession.remembered if limits.remembered else sa.true()
    reasons = [
        ("idle", ordinary & (BrowserSession.last_seen_at < now - limits.idle)),
        ("expired", ordinary & (BrowserSession.created_at < now - limits.absolute)),
    ]
    if limits.remembered:
        remembered_end = BrowserSession.created_at < now - limits.remembered
        reasons.append(("expired", BrowserSession.remembered & remembered_end))
    timed_out = BrowserSession.ended_at.is_(None) & sa.or_(*(c for _, c in reasons))

    def end(ids: list) -> int:
        total = 0
        for reason, condition in reasons:  # idle first, as a request would say
            statement = (
                sa.update(BrowserSession)
                .where(BrowserSession.id.in_(ids), BrowserSession.ended_at.is_(None), condition)
                .values(ended_at=now, ended_reason=reason)
            )
            total += count(
                db.session.execute(statement.execution_options(synchronize_session=False))
            )
        return total

    return in_batches(BrowserSession, timed_out, end, batch)


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


def _purge_sessions(batch: int) -> int:
    """Sessions ended more than SESSION_KEEP ago, but for those remembering a browser; the
    record of which clients every such session used goes, kept session or not."""
    ended = BrowserSession.ended_at < utcnow() - SESSION_KEEP

    def delete(ids: list) -> int:
        sids = sa.select(BrowserSession.sid).where(BrowserSession.id.in_(ids))
        db.session.execute(
            sa.delete(SessionClient)
            .where(SessionClient.sid.in_(sids))
            .execution_options(synchronize_session=False)
        )
        statement = sa.delete(BrowserSession).where(
            BrowserSession.id.in_(ids), ended, sa.not_(_remembers_a_browser())
        )
        return count(db.session.execute(statement.execution_options(synchronize_session=False)))

    return in_batches(BrowserSession, ended, delete, batch)


def run(batch_size: int | None = None) -> dict[str, int]:
    """Delete expired codes, used jti markers, dead tokens, ended sessions and retired
    keys past publication, `batch_size` (default PURGE_BATCH_SIZE) rows per transaction.
    Commits; returns how many rows of each were removed."""
    batch_size = batch_size or default_batch_size()
    now = int(time.time())
    counts = {}
    counts["codes"] = delete_where(
        AuthorizationCode, AuthorizationCode.expires_at < now - CODE_KEEP, batch_size
    )
    counts["jti"] = delete_where(UsedJti, UsedJti.expires_at < now, batch_size)
    counts["tokens"] = _purge_tokens(now, batch_size)
    counts["retry_answers"] = _forget_retry_answers(batch_size)
    counts["sessions_timed_out"] = _end_timed_out_sessions(batch_size)
    counts["sessions"] = _purge_sessions(batch_size)
    counts["keys"] = prune_keys()
    log.info("oidc purge: %s", counts)
    return counts
