"""Authentication: find the account by e-mail (or NIR), check the password at constant
cost, apply the throttle, re-hash when the bcrypt cost changed, audit."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, session
from flask_login import current_user, login_user

from idp import audit
from idp.accounts import nir
from idp.accounts.models import Account
from idp.accounts.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from idp.accounts.services import find_by_email
from idp.accounts.sessions import remember_session
from idp.accounts.throttle import LoginThrottle, allowed_without_captcha
from idp.core.clock import utcnow
from idp.core.extensions import db


class LoginOutcome(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # unknown account or wrong password: one answer for both
    NOT_CONFIRMED = "not_confirmed"  # right password, e-mail not confirmed yet
    LOCKED = "locked"  # right password, account locked by an administrator
    CAPTCHA = "captcha"  # the limit was reached meanwhile: a captcha is now required
    WAIT = "wait"  # too early after the last failure


@dataclass(frozen=True)
class Result:
    outcome: LoginOutcome
    account: Account | None = None
    wait: int = 0


def normalise_nir(value: str) -> str | None:
    """The NIR as stored (15 characters), or None when `value` is not a NIR."""
    candidate = nir.normalise(value)
    return candidate if len(candidate) == 15 else None


def find_account(identifier: str) -> Account | None:
    """By e-mail; by NIR too when LOGIN_WITH_NIR is on and the value has no "@"."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        return find_by_email(identifier)
    if not current_app.config["LOGIN_WITH_NIR"]:
        return None
    number = normalise_nir(identifier)
    if number is None:
        return None
    return db.session.scalar(db.select(Account).where(Account.nir == number))


def check_password(account: Account | None, password: str) -> bool:
    """Same cost whether the account exists or not (no enumeration by timing)."""
    rounds = current_app.config["BCRYPT_ROUNDS"]
    if account is None:
        verify_password(password, dummy_hash(rounds))
        return False
    return verify_password(password, account.password_hash)


def throttled_check(
    throttle: LoginThrottle, check: Callable[[], bool], *, captcha_passed: bool
) -> Result:
    """Run `check` (a password, a code) under the throttle of the account and the address:
    counted before it runs (so parallel guesses cannot pass the limit), a captcha once the
    limit is reached, then one attempt per delay. OK, INVALID, CAPTCHA or WAIT."""
    if captcha_passed and (wait := throttle.take_slot()):
        return Result(LoginOutcome.WAIT, wait=wait)
    counted = throttle.count_attempt()
    if not captcha_passed and not allowed_without_captcha(counted, throttle.policy):
        return Result(LoginOutcome.CAPTCHA)
    if not check():
        return Result(LoginOutcome.INVALID)
    throttle.succeeded()
    return Result(LoginOutcome.OK)


def attempt(
    account: Account | None, identifier: str, password: str, ip: str | None, *, captcha_passed: bool
) -> Result:
    """One login attempt, throttled. Does not open the session (see `open_session`)."""
    throttle = LoginThrottle(account, identifier, ip)
    checked = throttled_check(
        throttle, lambda: check_password(account, password), captcha_passed=captcha_passed
    )
    if checked.outcome is LoginOutcome.WAIT:
        return checked
    if checked.outcome is LoginOutcome.CAPTCHA:
        audit.record("login.failed", account=account, reason="captcha_required")
        db.session.commit()
        return Result(LoginOutcome.CAPTCHA, account)
    if checked.outcome is LoginOutcome.INVALID:
        audit.record("login.failed", account=account, reason="bad_credentials")
        db.session.commit()
        return checked
    rounds = current_app.config["BCRYPT_ROUNDS"]
    if needs_rehash(account.password_hash, rounds):
        account.password_hash = hash_password(password, rounds)
    if account.is_locked:
        audit.record("login.locked", account=account)
        db.session.commit()
        return Result(LoginOutcome.LOCKED, account)
    if not account.is_confirmed:
        audit.record("login.failed", account=account, reason="not_confirmed")
        db.session.commit()
        return Result(LoginOutcome.NOT_CONFIRMED, account)
    return Result(LoginOutcome.OK, account)


def open_session(
    account: Account, amr: list[str] | tuple[str, ...] = ("pwd",), *, remember: bool = False
) -> None:
    """Log the account in (fresh), record auth_time and the methods used (`amr`, RFC 8176),
    audit, commit. `remember`: "Rester connecté" was ticked (a longer session, see
    sessions.remember_session)."""
    account.last_login_at = utcnow()
    session["amr"] = list(amr)
    login_user(account, fresh=True)
    session["auth_time"] = int(time.time())
    if remember:
        remember_session()
    details = {"remembered": True} if remember and session.permanent else {}
    audit.record("login.succeeded", account=account, amr=list(amr), **details)
    db.session.commit()


def signed_in_account_id() -> int | None:
    """The id of the account signed in in this browser, if any."""
    return current_user.id if current_user.is_authenticated else None
