"""The second step of a sign-in, and the step-up inside a session.

When the password (the first factor) is right for an account that has a second factor,
the account is not signed in yet: `begin()` keeps a pending sign-in in the browser's
session (the account, its session epoch, the methods used so far, where to go next), and
the page /login/verify (idp/accounts/views/second_factor.py) asks for one of the account's
factors. `complete()` then opens the session with the methods of both steps in its `amr`
(RFC 8176 and ProConnect values: idp/accounts/factors/amr.py), "mfa" included.

A step-up is the same step for a person already signed in whose session lacks a second
factor, when a service asks for one (acr_values, a client that requires it) or /admin
does: `complete()` then adds the factor to the session's `amr` and renews `auth_time`.

The pending sign-in lives `PENDING_LIFETIME` seconds and names the account's session
epoch: a password changed meanwhile cancels it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import session, url_for

from idp import audit
from idp.accounts import factors, login
from idp.accounts.factors import amr as methods_table
from idp.accounts.models import Account
from idp.accounts.redirects import safe_next
from idp.core.extensions import db

PENDING_KEY = "second_factor"
PENDING_LIFETIME = 600  # seconds to give the second factor after the password
# The value that says two different factors were used (RFC 8176 and ProConnect alike).
MFA = methods_table.MFA


@dataclass(frozen=True)
class Pending:
    account: Account
    amr: list[str]  # methods used so far ("pwd")
    next_url: str | None
    step_up: bool  # the account is already signed in in this browser
    remember: bool = False  # "Rester connecté" was ticked on the login page


def combine(first: list[str], methods: list[str]) -> list[str]:
    """The `amr` of a sign-in made of `first` then `methods`: each value once, in order,
    and "mfa" last when two different factors were used (aliases such as "otp" and
    "totp" are one factor: idp/accounts/factors/amr.py)."""
    amr = list(dict.fromkeys([*first, *methods]))
    if MFA not in amr and len(methods_table.factors(amr)) >= 2:
        amr.append(MFA)
    return amr


def is_multi_factor(amr: list[str] | None) -> bool:
    return MFA in (amr or [])


def begin(
    account: Account,
    amr: list[str],
    next_url: str | None,
    *,
    step_up: bool,
    remember: bool = False,
) -> None:
    """Keep the pending sign-in of `account` (first step passed with `amr`; `remember`:
    "Rester connecté" was ticked, for the session the second step opens)."""
    session[PENDING_KEY] = {
        "account": account.id,
        "epoch": account.session_epoch,
        "amr": list(amr),
        "next": safe_next(next_url),
        "step_up": step_up,
        "remember": remember,
        "at": int(time.time()),
    }


def pending() -> Pending | None:
    """The pending sign-in of this browser, if any and still valid."""
    state = session.get(PENDING_KEY)
    if not isinstance(state, dict):
        return None
    if int(time.time()) - int(state.get("at") or 0) > PENDING_LIFETIME:
        cancel()
        return None
    account = db.session.get(Account, state.get("account"))
    if account is None or not account.is_active or account.session_epoch != state.get("epoch"):
        cancel()
        return None
    if state.get("step_up") and login.signed_in_account_id() != account.id:
        cancel()  # signed out or someone else meanwhile
        return None
    return Pending(
        account,
        list(state.get("amr") or []),
        state.get("next"),
        bool(state["step_up"]),
        remember=bool(state.get("remember")),
    )


def cancel() -> None:
    session.pop(PENDING_KEY, None)


def landing(next_url: str | None) -> str:
    """Where a sign-in goes on: the safe `next`, else "Mes services"."""
    return safe_next(next_url) or url_for("launcher.services")


def complete(state: Pending, methods: list[str]) -> str:
    """The second factor `methods` was verified for `state.account`: sign in (or step up),
    commit, and return where to go next."""
    amr = combine(state.amr, methods)
    cancel()
    if state.step_up:
        session["amr"] = amr
        session["auth_time"] = int(time.time())
        audit.record("login.succeeded", account=state.account, amr=amr, step_up=True)
        db.session.commit()
    else:
        login.open_session(state.account, amr=amr, remember=state.remember)
    return landing(state.next_url)


def after_enrolment(account: Account, methods: list[str], next_url: str | None) -> str | None:
    """A factor was just enrolled and proved in this session (a first valid code, a passkey
    made with user verification): the session now counts it, as a sign-in with it would.
    Returns the safe `next` the enrolment was asked for (a service or /admin), if any."""
    current = list(session.get("amr") or ["pwd"])
    combined = combine(current, methods)
    if combined != current:
        session["amr"] = combined
        session["auth_time"] = int(time.time())
    cancel()
    return safe_next(next_url)


def needs_step_up(account: Account) -> bool:
    """True when `account` has a second factor that this session has not used: changing
    the account's factors, or a service or page that requires two factors, asks for it
    first."""
    return not is_multi_factor(session.get("amr")) and factors.has_second_factor(account)


def step_up_url(account: Account, next_url: str | None) -> str:
    """Start a step-up for the signed-in `account`; the address of the page that asks
    for the factor (and then goes on to `next_url`)."""
    begin(account, list(session.get("amr") or ["pwd"]), next_url, step_up=True)
    return url_for("accounts.second_factor")
