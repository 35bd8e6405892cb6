"""Authenticator-app codes (TOTP, RFC 6238): 6 digits, a new code every 30 seconds.

One app per account (a TotpFactor row). Enrolment makes a pending row with a new secret,
shown as a QR code and as text; a first valid code confirms it. The secret is sealed
(idp/core/sealing): never in clear in the database, never written to a log.

A code is accepted one time step before or after the server's (a phone's clock a little
off), and only for a step later than the last accepted one: a code, once used, is refused,
even by a parallel request (a conditional UPDATE decides, see `_claim_step`).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable
from datetime import datetime

import pyotp
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from idp.accounts.factors.models import TotpFactor
from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import seal, unseal

STEP = 30  # seconds per code (what every authenticator app assumes)
DIGITS = 6
# Steps accepted either side of the server's: a phone up to 30 s early or late still
# passes, and a code typed just before it changed.
WINDOW = 1
# A pending enrolment older than this starts again with a new secret.
PENDING_LIFETIME = 3600
CODE_RE = re.compile(r"[0-9]{6}")

# The clock of the time steps; tests replace it to compute codes for explicit steps.
_now: Callable[[], float] = time.time


def normalise(code: str | None) -> str:
    """The code as typed, without the spaces or dashes some people add ("123 456")."""
    return re.sub(r"[\s\-]", "", code or "")


def is_well_formed(code: str | None) -> bool:
    return CODE_RE.fullmatch(normalise(code)) is not None


def _factor(account: Account) -> TotpFactor | None:
    return db.session.get(TotpFactor, account.id)


def is_enrolled(account: Account) -> bool:
    """The account has a confirmed authenticator app."""
    factor = _factor(account)
    return factor is not None and factor.confirmed_at is not None


def remove(account: Account) -> None:
    """Forget the account's authenticator app, confirmed or pending (not committed)."""
    factor = _factor(account)
    # A plain DELETE: a row that a parallel request removed first is not an error.
    db.session.execute(sa.delete(TotpFactor).where(TotpFactor.account_id == account.id))
    if factor is not None:
        db.session.expunge(factor)


# --- Enrolment ------------------------------------------------------------------------


def _marker(factor: TotpFactor) -> str:
    """What ties a pending enrolment to the browser that began it (kept in its session):
    when it began, nothing secret."""
    return factor.created_at.isoformat()


def begin(account: Account, marker: str | None, *, retry: bool = True) -> tuple[str, str]:
    """The pending enrolment of this browser (its session's `marker`), or a new one with a
    new secret; returns (secret, marker). Another browser's pending enrolment is replaced:
    a secret someone else saw (who knew the password) is never the one confirmed here.
    Flushes; the caller commits. Must not be called once an app is confirmed."""
    factor = _factor(account)
    if factor is not None and factor.confirmed_at is not None:
        raise ValueError("an authenticator app is already enrolled")
    fresh = factor is not None and (utcnow() - factor.created_at).total_seconds() < PENDING_LIFETIME
    if factor is not None and fresh and marker == _marker(factor):
        return unseal(factor.secret_sealed), marker
    remove(account)
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    factor = TotpFactor(account_id=account.id, secret_sealed=seal(secret), created_at=utcnow())
    db.session.add(factor)
    try:
        db.session.flush()
    except IntegrityError:
        # A parallel request of the account (a double click) began one at the same time
        # and committed first: begin again over it (nothing else is pending here).
        db.session.rollback()
        if not retry:
            raise
        return begin(account, None, retry=False)
    return secret, _marker(factor)


def provisioning_uri(account: Account, secret: str) -> str:
    """The otpauth:// address the QR code holds: the service's name as issuer, the
    account's e-mail as its name in the app."""
    issuer = current_app.config["SERVICE_NAME"]
    return pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=issuer)


def qr_code(uri: str) -> str:
    """The QR code of `uri` as an SVG data: URI, drawn here (no third-party service)."""
    import segno  # only the page adding an app draws a QR code: 0.8 MB, not in every worker

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def grouped(secret: str) -> str:
    """The secret for typing by hand: groups of 4 characters."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm(account: Account, code: str, marker: str | None) -> bool:
    """The first code from the app of this browser's pending enrolment: when valid, the
    app is enrolled. Flushes; the caller commits (and audits, mails)."""
    factor = _factor(account)
    if factor is None or factor.confirmed_at is not None or marker != _marker(factor):
        return False
    if not _check(factor, code):
        return False
    factor.confirmed_at = utcnow()
    db.session.flush()
    return True


# --- Verification ---------------------------------------------------------------------


def verify(account: Account, code: str) -> bool:
    """A code from the account's confirmed app, never used before. Flushes (the step is
    claimed in the current transaction); the caller commits."""
    factor = _factor(account)
    if factor is None or factor.confirmed_at is None:
        return False
    return _check(factor, code)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step, within the window around now, whose code is `code`."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    current = int(_now()) // STEP
    found = None
    # Every step is computed and compared (constant time): the answer's timing does not
    # tell which step matched.
    for step in range(current - WINDOW, current + WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            found = step
    return found


def _check(factor: TotpFactor, code: str) -> bool:
    code = normalise(code)
    if CODE_RE.fullmatch(code) is None:
        return False
    step = _matching_step(unseal(factor.secret_sealed), code)
    if step is None:
        return False
    return _claim_step(factor, step)


def _claim_step(factor: TotpFactor, step: int) -> bool:
    """Record `step` as the last used one, if it is later than the last used one. One
    conditional UPDATE: of two requests with the same code, the second waits for the
    first's row lock (PostgreSQL) or write lock (SQLite), then matches no row."""
    now: datetime = utcnow()
    result = db.session.execute(
        sa.update(TotpFactor)
        .where(
            TotpFactor.account_id == factor.account_id,
            sa.or_(TotpFactor.last_used_step.is_(None), TotpFactor.last_used_step < step),
        )
        .values(last_used_step=step, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(factor)  # reload what the UPDATE wrote
    return result.rowcount == 1
