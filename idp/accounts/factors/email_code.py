"""A 6-digit sign-in code by e-mail, as an optional second factor: offered only where
EMAIL_CODE_FACTOR is on, and used only by people who turned it on (Account.email_factor_at).

A code is single use, lives EMAIL_CODE_LIFETIME seconds, and is kept as a digest. Only the
latest code sent counts: asking for a new one retires the previous. Sending is throttled
(one code per EMAIL_CODE_RESEND_DELAY, at most EMAIL_CODE_HOURLY_LIMIT per hour and
account): a mailbox is not to be flooded, nor the codes guessed by asking for many.
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from idp import audit
from idp.accounts import mails
from idp.accounts.factors.models import EmailCode
from idp.accounts.models import Account
from idp.core.batches import batch_size, delete_where
from idp.core.clock import utcnow
from idp.core.digest import matches_digest, secret_digest
from idp.core.extensions import db

CODE_RE = re.compile(r"[0-9]{6}")
HOUR = timedelta(hours=1)


def is_available() -> bool:
    """The setting: may people use codes by e-mail here at all?"""
    return bool(current_app.config["EMAIL_CODE_FACTOR"])


def is_enrolled(account: Account) -> bool:
    """Codes by e-mail are offered here and the person turned them on."""
    return is_available() and account.email_factor_at is not None


def enable(account: Account) -> None:
    """The person turns codes by e-mail on (not committed; the page audits and mails)."""
    account.email_factor_at = utcnow()


def remove(account: Account) -> None:
    """Turn codes by e-mail off and forget the codes sent (not committed)."""
    account.email_factor_at = None
    db.session.execute(sa.delete(EmailCode).where(EmailCode.account_id == account.id))


def _material(account: Account, code: str) -> str:
    # The account id is part of what is digested: one code, two accounts, two digests.
    return f"email-code:{account.id}:{code}"


def _wait(account: Account, now: datetime) -> int:
    """Seconds before the account may be sent a new code (0: now)."""
    cfg = current_app.config
    sent = list(
        db.session.scalars(
            sa.select(EmailCode.created_at)
            .where(EmailCode.account_id == account.id, EmailCode.created_at > now - HOUR)
            .order_by(EmailCode.created_at.desc())
        )
    )
    waits = [0.0]
    if sent:
        delay = timedelta(seconds=int(cfg["EMAIL_CODE_RESEND_DELAY"]))
        waits.append((sent[0] + delay - now).total_seconds())
    limit = int(cfg["EMAIL_CODE_HOURLY_LIMIT"])
    if len(sent) >= limit:
        # The oldest of the last `limit` codes must leave the hour first.
        waits.append((sent[limit - 1] + HOUR - now).total_seconds())
    return max(0, math.ceil(max(waits)))


def send(account: Account) -> int:
    """Mail a new code to the account (both addresses once a secondary one is confirmed)
    and commit; returns 0. When sent too recently or too often, sends nothing and returns
    the seconds to wait."""
    # Hold the account row (PostgreSQL) so that two parallel requests cannot both pass
    # the throttle; SQLite writes one at a time anyway.
    db.session.execute(sa.select(Account.id).where(Account.id == account.id).with_for_update())
    now = utcnow()
    wait = _wait(account, now)
    if wait:
        return wait
    lifetime = int(current_app.config["EMAIL_CODE_LIFETIME"])
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(
        EmailCode(
            account_id=account.id,
            code_hash=secret_digest(_material(account, code)),
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime),
        )
    )
    audit.record("factor.email_sent", account=account)
    mails.sign_in_code(account, code, lifetime=lifetime)  # commits
    return 0


def verify(account: Account, code: str) -> bool:
    """The latest code sent to the account, unexpired and unused: accepted once (marked
    used in the current transaction; the caller commits)."""
    if not is_enrolled(account):
        return False
    code = re.sub(r"[\s\-]", "", code or "")
    if CODE_RE.fullmatch(code) is None:
        return False
    latest = db.session.scalars(
        sa.select(EmailCode)
        .where(EmailCode.account_id == account.id)
        .order_by(EmailCode.created_at.desc(), EmailCode.id.desc())
        .limit(1)
    ).first()
    now = utcnow()
    if latest is None or latest.used_at is not None or latest.expires_at <= now:
        return False
    if not matches_digest(latest.code_hash, _material(account, code)):
        return False
    # One conditional UPDATE: of two requests with the same code, only one marks it.
    result = db.session.execute(
        sa.update(EmailCode)
        .where(EmailCode.id == latest.id, EmailCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(latest)
    return result.rowcount == 1


def purge_expired(now: datetime | None = None) -> int:
    """Delete the codes that expired more than an hour ago (the throttle counts the last
    hour's codes), in batches (commits); returns how many."""
    cutoff = (now or utcnow()) - HOUR
    return delete_where(EmailCode, EmailCode.expires_at < cutoff, batch_size())
