"""Which browser a session comes from.

A long-lived random cookie (the device cookie) names the browser; only its digest is kept,
in BrowserSession.device_hash. When a browser session opens from a browser the account has
never used, while the account has signed in from another one before, the person is told
by mail ("Nouvelle connexion à votre compte") and the audit log keeps `login.new_device`.
The very first sign-in of an account, or the first since this cookie exists, only learns
the browser: there is nothing to compare it with.

Also here: the readable name of a browser and its system, from its user agent.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from functools import cache, lru_cache

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import gettext as _
from ua_parser import BasicResolver, Domain, load_lazy_builtins

from idp.accounts import mails
from idp.accounts.models import Account, BrowserSession
from idp.accounts.places import place_of
from idp.audit import record
from idp.core.digest import secret_digest
from idp.core.extensions import db

# How long a browser is remembered: the cookie's lifetime, renewed at each sign-in; the
# newest session of each browser is kept as long (idp/oidc/maintenance.py).
DEVICE_MEMORY = timedelta(days=365)
_VALUE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def cookie_name() -> str:
    """Host-only and Secure under https, as the session cookie (idp/core/config.py)."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    return "__Host-compte_device" if secure else "compte_device"


def _device_value() -> str:
    """This browser's device value: the one its cookie carries, else a new one. Kept in
    `g` for `set_device_cookie`, which (re)sets the cookie on the response."""
    if "compte_device" not in g:
        value = request.cookies.get(cookie_name(), "")
        g.compte_device = value if _VALUE.fullmatch(value) else secrets.token_urlsafe(32)
    return g.compte_device


def set_device_cookie(response: Response) -> Response:
    """After a request that opened a browser session: the device cookie, for a year from
    this sign-in. The one place the cookie is written."""
    value = g.get("compte_device")
    if value:
        response.set_cookie(
            cookie_name(),
            value,
            max_age=int(DEVICE_MEMORY.total_seconds()),
            path="/",
            secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
            httponly=True,
            samesite="Lax",
        )
    return response


def _earlier(account: Account, row: BrowserSession) -> sa.Select:
    return sa.select(BrowserSession.id).where(
        BrowserSession.account_id == account.id,
        BrowserSession.device_hash.is_not(None),
        BrowserSession.sid != row.sid,
    )


def remember(account: Account, row: BrowserSession) -> None:
    """Mark the browser session `row`, being opened, with this browser's device; a browser
    new to an account that has signed in elsewhere before is audited and, with
    NEW_DEVICE_MAIL, mailed. The caller commits."""
    if not has_request_context():
        return
    row.device_hash = secret_digest(_device_value())
    earlier = _earlier(account, row)
    if not db.session.scalar(sa.select(earlier.exists())):
        return  # the first browser known for this account: nothing to compare with
    same = earlier.where(BrowserSession.device_hash == row.device_hash)
    if db.session.scalar(sa.select(same.exists())):
        return
    device = describe_agent(row.user_agent)
    record("login.new_device", account=account, device=device)
    if current_app.config["NEW_DEVICE_MAIL"]:
        mails.new_sign_in(
            account, when=row.created_at, device=device, place=place_of(row.ip_address)
        )


def init_app(app: Flask) -> None:
    app.after_request(set_device_cookie)


# --- Browser and system, in words ------------------------------------------------------------


@cache
def _resolver() -> BasicResolver:
    """ua_parser's own rules, each regular expression compiled the first time it is tried,
    asked for the browser and the system only: `ua_parser.parse` compiled every rule of
    the three domains (devices too) at the first sign-in, 1.3 MB per worker against 0.9."""
    return BasicResolver(load_lazy_builtins())


@lru_cache(maxsize=1024)
def _parsed(user_agent: str) -> tuple[str | None, str | None]:
    """(browser, system), each with its major version when known; parsing costs, and the
    same few agents come back on every page."""
    result = _resolver()(user_agent, Domain.USER_AGENT | Domain.OS)

    def named(part: object) -> str | None:
        family = getattr(part, "family", None)
        if not family or family == "Other":
            return None
        major = getattr(part, "major", None)
        return f"{family} {major}" if major else family

    return named(result.user_agent), named(result.os)


def describe_agent(user_agent: str | None) -> str:
    """The browser and its system in words (e.g. Firefox 133 sur Windows 10), the browser
    or the system alone, or "Navigateur inconnu"."""
    browser, system = _parsed(user_agent or "")
    if browser and system:
        return _("%(browser)s sur %(system)s", browser=browser, system=system)
    return browser or system or _("Navigateur inconnu")
