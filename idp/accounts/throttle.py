"""Login throttling: a captcha after a few failures (per account or per IP address), then a
pause after each further failure.

The decisions are plain functions; `LoginThrottle` keeps the counters:
- per account: `account.failed_logins`, changed by ONE atomic SQL UPDATE … RETURNING, so
  parallel guesses each get their own number and none slips past the limit;
- per unknown identifier (so that an unknown account behaves like a known one) and per IP
  address: counters in the Flask-Limiter storage (memory, or Redis where INCR is atomic).

An attempt is counted BEFORE the password is checked (and reset on success): the number
of password checks made without a captcha can never exceed the limit, even in parallel.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from limits.storage import storage_from_string
from sqlalchemy import case, or_, update

from idp.accounts.models import Account, utcnow
from idp.extensions import db, limiter

_FALLBACK_STORAGE = "compte.login_throttle_storage"

# --- Decisions (no Flask, no storage) -------------------------------------------------


@dataclass(frozen=True)
class Policy:
    captcha_after: int  # failures before a captcha is required
    delay: int  # seconds between two attempts once the captcha stage is reached
    window: int  # seconds after which failures are forgotten


def effective_failures(
    count: int, last_failure: datetime | None, now: datetime, window: int
) -> int:
    """Failures older than the window no longer count."""
    if not count or last_failure is None or now - last_failure > timedelta(seconds=window):
        return 0
    return count


def captcha_required(failures: int, policy: Policy) -> bool:
    """True once the account or the address has reached the failure limit."""
    return failures >= policy.captcha_after


def allowed_without_captcha(attempt_number: int, policy: Policy) -> bool:
    """`attempt_number` counts this attempt: the first `captcha_after` pass without captcha."""
    return attempt_number <= policy.captcha_after


def seconds_left(expires_at: float, now: float) -> int:
    """Whole seconds to wait (rounded up); 0 when nothing to wait for."""
    return max(0, math.ceil(expires_at - now))


# --- Counters -------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    captcha_required: bool
    wait: int  # seconds to wait before the next attempt (0: go ahead)


def current_policy() -> Policy:
    config = current_app.config
    return Policy(
        captcha_after=int(config.get("LOGIN_CAPTCHA_AFTER", 3)),
        delay=int(config.get("LOGIN_FAILURE_DELAY", 2)),
        window=int(config.get("LOGIN_FAILURE_WINDOW", 900)),
    )


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


class LoginThrottle:
    """Counters for one login attempt: an account (or an unknown identifier) and an IP."""

    def __init__(self, account: Account | None, identifier: str, ip: str | None) -> None:
        self.account = account
        self.policy = current_policy()
        prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "compte")
        subject = f"a{account.id}" if account is not None else f"i{_digest(identifier)}"
        self._ident_key = f"{prefix}/login-fail/{subject}"
        self._ip_key = f"{prefix}/login-fail/ip/{ip or '-'}"
        self._slot_keys = (f"{prefix}/login-slot/{subject}", f"{prefix}/login-slot/ip/{ip or '-'}")

    @property
    def _storage(self):
        # With RATELIMIT_ENABLED = false Flask-Limiter creates no storage, but the captcha
        # after repeated failures must keep working: use one of our own, same URI.
        if getattr(limiter, "_storage", None) is not None:
            return limiter.storage
        storage = current_app.extensions.get(_FALLBACK_STORAGE)
        if storage is None:
            uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
            storage = current_app.extensions[_FALLBACK_STORAGE] = storage_from_string(uri)
        return storage

    def _account_failures(self) -> int:
        row = db.session.execute(
            db.select(Account.failed_logins, Account.last_failed_login_at).where(
                Account.id == self.account.id
            )
        ).one()
        return effective_failures(row[0], row[1], utcnow(), self.policy.window)

    def failures(self) -> int:
        """The larger of the subject's and the address's recent failures."""
        subject = (
            self._account_failures()
            if self.account is not None
            else self._storage.get(self._ident_key)
        )
        return max(subject, self._storage.get(self._ip_key))

    def wait(self) -> int:
        """Seconds before the next attempt is accepted (captcha stage only)."""
        now = time.time()
        return max(
            (
                seconds_left(self._storage.get_expiry(k), now)
                for k in self._slot_keys
                if self._storage.get(k)
            ),
            default=0,
        )

    def state(self) -> State:
        required = captcha_required(self.failures(), self.policy)
        return State(required, self.wait() if required else 0)

    def take_slot(self) -> int:
        """At the captcha stage, one attempt per delay: atomically claim the slot. Returns 0
        when claimed, else the seconds to wait. The slot stays taken after a failure."""
        if self.policy.delay <= 0:
            return 0
        counts = [self._storage.incr(k, self.policy.delay) for k in self._slot_keys]
        return (self.wait() or 1) if any(c > 1 for c in counts) else 0

    def count_attempt(self) -> int:
        """Count this attempt before the password is checked; returns its number (the larger
        of the subject's and the address's). Committed at once (short row lock)."""
        ip_count = self._storage.incr(self._ip_key, self.policy.window)
        if self.account is None:
            return max(ip_count, self._storage.incr(self._ident_key, self.policy.window))
        now = utcnow()
        cutoff = now - timedelta(seconds=self.policy.window)
        stale = or_(Account.last_failed_login_at.is_(None), Account.last_failed_login_at < cutoff)
        count = db.session.execute(
            update(Account)
            .where(Account.id == self.account.id)
            .values(
                failed_logins=case((stale, 1), else_=Account.failed_logins + 1),
                last_failed_login_at=now,
            )
            .returning(Account.failed_logins)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        db.session.commit()
        return max(ip_count, count)

    def succeeded(self) -> None:
        """Forget the subject's failures and pause, and take this (good) attempt back off the
        address's counter. The address's earlier failures are left to expire: otherwise
        logging into one's own account would wipe the count of guesses made on others."""
        if self.account is not None:
            db.session.execute(
                update(Account)
                .where(Account.id == self.account.id)
                .values(failed_logins=0, last_failed_login_at=None)
                .execution_options(synchronize_session=False)
            )
        else:
            self._storage.clear(self._ident_key)
        if self._storage.get(self._ip_key) > 0:
            self._storage.incr(self._ip_key, self.policy.window, amount=-1)
        self._storage.clear(self._slot_keys[0])
