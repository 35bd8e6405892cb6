"""Login throttling: a captcha after a few failures on one account, or after many failures
from one IP address (a robot trying many accounts), then a pause after each further failure.

The address's limit is much higher than the account's: hundreds of people may sign in from
behind one proxy, and one person's typos must not put a captcha in front of the others.

The decisions are plain functions; `LoginThrottle` keeps the counters, all in the
Flask-Limiter storage (Redis, where INCR is atomic and every instance shares it; or this
process's memory): per subject — an account, or an identifier that has no account, so
that both behave alike — and per IP address. Known and unknown identifiers cost the same
work (no account enumeration by timing: the known one used to pay a database write).

An attempt is counted BEFORE the password is checked (and reset on success): the number
of password checks made without a captcha can never exceed the limit, even in parallel.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import current_app

from idp.accounts.models import Account
from idp.core.counters import counters

# --- Decisions (no Flask, no storage) -------------------------------------------------


@dataclass(frozen=True)
class Policy:
    captcha_after: int  # failures on one account before a captcha is required
    delay: int  # seconds between two attempts once the captcha stage is reached
    window: int  # seconds after which failures are forgotten
    # failures from one address (all accounts together) before a captcha is required
    address_captcha_after: int = 30


@dataclass(frozen=True)
class Counts:
    """Recent failures (or, counted before the check, attempt numbers) of the account and
    of the address."""

    account: int
    address: int


def address_reached(address: int, policy: Policy) -> bool:
    """True once the address alone has reached its (much higher) failure limit."""
    return address >= policy.address_captcha_after


def captcha_required(failures: Counts, policy: Policy) -> bool:
    """True once the account, or the address, has reached its failure limit."""
    return failures.account >= policy.captcha_after or address_reached(failures.address, policy)


def allowed_without_captcha(attempt: Counts, policy: Policy) -> bool:
    """`attempt` counts this attempt: the first `captcha_after` on the account pass without
    captcha, while the address stays within its own limit."""
    return (
        attempt.account <= policy.captcha_after and attempt.address <= policy.address_captcha_after
    )


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
        captcha_after=int(config["LOGIN_CAPTCHA_AFTER"]),
        address_captcha_after=int(config["LOGIN_ADDRESS_CAPTCHA_AFTER"]),
        delay=int(config["LOGIN_FAILURE_DELAY"]),
        window=int(config["LOGIN_FAILURE_WINDOW"]),
    )


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


class LoginThrottle:
    """Counters for one login attempt: an account (or an unknown identifier) and an IP."""

    def __init__(self, account: Account | None, identifier: str, ip: str | None) -> None:
        self.account = account
        self.policy = current_policy()
        prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
        subject = f"a{account.id}" if account is not None else f"i{_digest(identifier)}"
        self._subject_key = f"{prefix}/login-fail/{subject}"
        self._ip_key = f"{prefix}/login-fail/ip/{ip or '-'}"
        self._slot_keys = (f"{prefix}/login-slot/{subject}", f"{prefix}/login-slot/ip/{ip or '-'}")

    @classmethod
    def of_account(cls, account: Account) -> LoginThrottle:
        """The account's own counters, whatever the address (administrators, a new
        password)."""
        return cls(account, "", None)

    @property
    def _storage(self):
        return counters()

    def account_failures(self) -> int:
        """The subject's recent failures alone."""
        return self._storage.get(self._subject_key)

    def failures(self) -> Counts:
        """The subject's and the address's recent failures."""
        return Counts(self._storage.get(self._subject_key), self._storage.get(self._ip_key))

    def _paced_slots(self) -> tuple[str, ...]:
        # The address is paced only once it reached its own limit: one person's pause
        # must not hold up the others behind the same proxy.
        if address_reached(self._storage.get(self._ip_key), self.policy):
            return self._slot_keys
        return self._slot_keys[:1]

    def wait(self) -> int:
        """Seconds before the next attempt is accepted (captcha stage only)."""
        now = time.time()
        return max(
            (
                seconds_left(self._storage.get_expiry(k), now)
                for k in self._paced_slots()
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
        counts = [self._storage.incr(k, self.policy.delay) for k in self._paced_slots()]
        return (self.wait() or 1) if any(c > 1 for c in counts) else 0

    def count_attempt(self) -> Counts:
        """Count this attempt before the password is checked; returns its number on the
        subject and on the address."""
        window = self.policy.window
        address = self._storage.incr(self._ip_key, window)
        return Counts(self._storage.incr(self._subject_key, window), address)

    def succeeded(self) -> None:
        """Forget the subject's failures and pause, and take this (good) attempt back off the
        address's counter. The address's earlier failures are left to expire: otherwise
        logging into one's own account would wipe the count of guesses made on others."""
        self._storage.clear(self._subject_key)
        if self._storage.get(self._ip_key) > 0:
            self._storage.incr(self._ip_key, self.policy.window, amount=-1)
        self._storage.clear(self._slot_keys[0])

    def forget(self) -> None:
        """Forget the subject's failures (an administrator unlocked the account, or its
        password was changed)."""
        self._storage.clear(self._subject_key)
        self._storage.clear(self._slot_keys[0])
