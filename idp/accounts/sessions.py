"""Browser sessions (`sid`): the server-side record behind every login, and the one place
where sessions end and the relying parties are told.

The browser's cookie only names a session (Flask-Login's account id and our `sid`); the
BrowserSession row decides. `load_session_account` (Flask-Login's user loader) checks it
on every request that looks at the person: ended, account locked or deleted, password
changed, idle longer than SESSION_IDLE_TIMEOUT, older than SESSION_MAX_LIFETIME — any of
these and the request is anonymous, whatever the cookie says (a copied cookie included).

"Rester connecté" (`remember_session`) makes a longer session: REMEMBER_SESSION_LIFETIME
from its login, without idle timeout, in a cookie that outlives the browser and expires
when the server-side session ends (`RememberedSessionCookie`). It ends like any other.

`end_sessions()` is the one place where sessions end for good (logout, "Se déconnecter
partout", password change and reset, lock, deletion): rows ended, then, through the
signals of idp/accounts/signals.py, the tokens issued in them revoked and each relying
party that received a code told by back-channel logout (idp/oidc/logout.py receives
them). `finish_logout()` is the person's logout: it ends this browser's session and shows
the page that also runs the front-channel logouts.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    current_app,
    has_request_context,
    make_response,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import current_user, logout_user, user_logged_in

from idp.accounts import devices, signals
from idp.accounts.models import Account, BrowserSession
from idp.audit import record
from idp.core.clock import utcnow
from idp.core.extensions import db, login_manager
from idp.core.signals import answers, first_answer

# What Compte keeps in the cookie about a login (Flask-Login adds _user_id, _fresh, _id).
SESSION_KEYS = ("sid", "auth_time", "amr", "oidc_reauth", "remember_until")
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember_seconds")
# last_seen_at is written at most this often (or a quarter of the idle timeout).
TOUCH_EVERY = timedelta(seconds=60)


# --- The rule (no Flask) -------------------------------------------------------------


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta
    remembered: timedelta = timedelta(0)  # "Rester connecté" (0: off)


def remembered_until(row: BrowserSession, lifetimes: Lifetimes) -> datetime | None:
    """When a "Rester connecté" session ends (None for an ordinary one, or when the
    feature is off: the session then ends as an ordinary one)."""
    if not row.remembered or not lifetimes.remembered:
        return None
    return row.created_at + lifetimes.remembered


def why_not_live(
    row: BrowserSession | None,
    account: Account | None,
    account_id: int,
    epoch: int | None,
    now: datetime,
    lifetimes: Lifetimes,
) -> str | None:
    """None when the session may be used; else why not (the `ended_reason` to record)."""
    if row is None or account is None or row.account_id != account_id:
        return "unknown"
    if row.ended_at is not None:
        return row.ended_reason or "ended"
    if epoch is not None and account.session_epoch != epoch:
        return "password_changed"
    if account.is_locked:
        return "locked"
    if not account.is_confirmed:
        return "unconfirmed"
    if (until := remembered_until(row, lifetimes)) is not None:
        return "expired" if now > until else None
    if now - row.last_seen_at > lifetimes.idle:
        return "idle"
    if now - row.created_at > lifetimes.absolute:
        return "expired"
    return None


def lifetimes() -> Lifetimes:
    config = current_app.config
    return Lifetimes(
        idle=timedelta(seconds=int(config["SESSION_IDLE_TIMEOUT"])),
        absolute=timedelta(seconds=int(config["SESSION_MAX_LIFETIME"])),
        remembered=timedelta(seconds=int(config["REMEMBER_SESSION_LIFETIME"])),
    )


# --- Every request ---------------------------------------------------------------------


def _parse_user_id(user_id: str) -> tuple[int, int | None] | None:
    """Flask-Login's id is "<account id>:<session epoch>" (Account.get_id)."""
    try:
        account_part, _, epoch_part = user_id.partition(":")
        return int(account_part), int(epoch_part) if epoch_part else None
    except ValueError:
        return None


def _forget_login() -> None:
    for key in LOGIN_KEYS + SESSION_KEYS:
        session.pop(key, None)
    session.permanent = False  # back to a cookie that ends with the browser


def _session_is_clean() -> bool:
    return not (db.session.new or db.session.dirty or db.session.deleted)


# Built once: this query runs on every request of a signed-in person.
_SESSION_AND_ACCOUNT = (
    sa.select(BrowserSession, Account)
    .join(Account, Account.id == BrowserSession.account_id)
    .where(BrowserSession.sid == sa.bindparam("sid"))
)


def load_session_account(user_id: str) -> Account | None:
    """Flask-Login's user loader: the account of a live browser session, else None."""
    parsed = _parse_user_id(user_id)
    sid = session.get("sid")
    if parsed is None or not sid or not isinstance(sid, str):
        _forget_login()
        return None
    account_id, epoch = parsed
    limits = lifetimes()
    found = db.session.execute(_SESSION_AND_ACCOUNT, {"sid": sid}).first()
    row, account = found if found is not None else (None, None)
    now = utcnow()
    reason = why_not_live(row, account, account_id, epoch, now, limits)
    clean = _session_is_clean()  # never commit a view's own pending changes from here
    if reason is not None:
        if row is not None and row.ended_at is None and clean:
            row.ended_at, row.ended_reason = now, reason
            db.session.commit()
        _forget_login()
        return None
    if now - row.last_seen_at >= min(TOUCH_EVERY, limits.idle / 4) and clean:
        row.last_seen_at = now
        db.session.commit()
    return account


def _client_address() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, None
    return request.remote_addr, (request.user_agent.string or "")[:300] or None


def on_logged_in(sender: Flask, user: Account, **_: object) -> None:
    """Open a browser session, or keep the current one when the same person signs in
    again (re-authentication): its `sid` stays, so the services' sessions do too."""
    session["auth_time"] = int(time.time())
    session.setdefault("amr", ["pwd"])
    sid = session.get("sid")
    current = (
        db.session.scalar(sa.select(BrowserSession).where(BrowserSession.sid == sid))
        if isinstance(sid, str)
        else None
    )
    now = utcnow()
    if (
        current is not None
        and current.account_id == user.id
        and why_not_live(current, user, user.id, None, now, lifetimes()) is None
    ):
        current.last_seen_at = now
        db.session.commit()
        return
    sid = secrets.token_urlsafe(24)
    row = BrowserSession(sid=sid, account_id=user.id, created_at=now, last_seen_at=now)
    row.ip_address, row.user_agent = _client_address()
    db.session.add(row)
    devices.remember(user, row)  # a browser new to the account is mailed
    db.session.commit()
    session["sid"] = sid


def remember_session() -> None:
    """ "Rester connecté" for this browser's session, just opened: it lasts
    REMEMBER_SESSION_LIFETIME from its login, and its cookie is kept until then. Nothing
    when the feature is off. Not committed."""
    limits = lifetimes()
    sid = session.get("sid")
    if not limits.remembered or not isinstance(sid, str):
        return
    row = db.session.scalar(sa.select(BrowserSession).where(BrowserSession.sid == sid))
    if row is None:
        return
    row.remembered = True
    until = remembered_until(row, limits)
    session.permanent = True
    session["remember_until"] = int(until.replace(tzinfo=UTC).timestamp())


class RememberedSessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, whose expiry, for a "Rester connecté" session, is the end of
    the server-side session: never further, and not pushed back by each request."""

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        until = session.get("remember_until")
        if session.permanent and isinstance(until, int):
            return datetime.fromtimestamp(until, UTC)
        return super().get_expiration_time(app, session)


def init_app(app: Flask) -> None:
    app.session_interface = RememberedSessionCookie()
    login_manager.user_loader(load_session_account)
    user_logged_in.connect(on_logged_in, app)
    devices.init_app(app)


def current_sid() -> str | None:
    """The `sid` of this browser's session, if signed in."""
    return session.get("sid")


# --- Ending sessions: the one place ------------------------------------------------------


@dataclass(frozen=True)
class LogoutFrames:
    """What a logout page needs from the services of a session (signals.logout_requested)."""

    services: int  # how many services received a code in the session
    frames: list[str]  # front-channel logout addresses to load in hidden iframes
    told: list[str] = field(default_factory=list)  # names of the services told, first used first
    untold: list[str] = field(default_factory=list)  # names of those with no logout address


def end_sessions(
    account: Account,
    reason: str,
    *,
    sids: list[str] | None = None,
    keep_sid: str | None = None,
    revoke_all_tokens: bool = False,
) -> int:
    """End browser sessions of `account` for good and tell the relying parties.

    `sids`: only these sessions (default: every open one), except `keep_sid`. Their tokens
    are revoked (every token of the account with `revoke_all_tokens`). Commits; then each
    relying party that received a code in an ended session gets a back-channel logout (a
    failing one does not stop the others). Returns how many relying parties were told."""
    now = utcnow()
    query = sa.select(BrowserSession).where(
        BrowserSession.account_id == account.id, BrowserSession.ended_at.is_(None)
    )
    if sids is not None:
        query = query.where(BrowserSession.sid.in_(sids))
    rows = [row for row in db.session.scalars(query) if row.sid != keep_sid]
    for row in rows:
        row.ended_at, row.ended_reason = now, reason
    ended = [row.sid for row in rows]
    revoked = sum(
        answers(
            signals.sessions_ending,
            account=account,
            sids=ended,
            everything=revoke_all_tokens,
            now=now,
        )
    )
    if (rows or revoked) and reason != "logout":  # a plain logout has its own event
        record("sessions.ended", account=account, reason=reason, sessions=len(rows), tokens=revoked)
    db.session.commit()
    if not ended:
        return 0
    return sum(answers(signals.sessions_ended, account=account, sids=ended))


def finish_logout(redirect_uri: str | None = None, *, everywhere: bool = False) -> Response:
    """Log this browser out of Compte and of every relying party of its session (and, with
    `everywhere`, every other session of the account too, all its tokens revoked).

    `redirect_uri`: a post-logout redirect already validated for its client (state
    included): the page goes on there by itself once the services are told. None: the
    page "Vous êtes déconnecté" stays, naming the services that were told."""
    sid = session.get("sid")
    account = current_user._get_current_object() if current_user.is_authenticated else None
    found = answers(signals.logout_requested, sid=sid) if sid else []
    frames = [url for plan in found for url in plan.frames]  # only this browser's sid
    if account is not None and everywhere:
        # The other sessions' services are told too (back-channel): the page names them.
        found += [
            plan
            for other in _open_sids(account)
            if other != sid
            for plan in answers(signals.logout_requested, sid=other)
        ]
    services = sum(plan.services for plan in found)
    told = list(dict.fromkeys(name for plan in found for name in plan.told))
    untold = [n for n in dict.fromkeys(n for p in found for n in p.untold) if n not in told]
    # Opened through an upstream provider (idp/federation): its session ends too, once the
    # services are told; the provider sends the browser back to Compte.
    upstream = first_answer(
        signals.upstream_logout,
        account=account,
        redirect_uri=redirect_uri,
        page={"told": told, "untold": untold, "everywhere": everywhere},
    )
    redirect_uri = upstream or redirect_uri
    if account is not None:
        record("logout", account=account, sid_known=bool(sid), clients=services)
        end_sessions(  # commits the event with the sessions' end
            account,
            "logout_everywhere" if everywhere else "logout",
            sids=None if everywhere else [sid] if sid else [],
            revoke_all_tokens=everywhere,
        )
        logout_user()
    _forget_login()
    response = make_response(
        render_template(
            "accounts/logged_out.html",
            frames=frames,
            redirect_uri=redirect_uri,
            told=told,
            untold=untold,
            everywhere=everywhere,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    sources = " ".join(sorted({_origin(url) for url in frames})) or "'none'"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"frame-src {sources}; frame-ancestors 'none'"
    )
    if not frames and redirect_uri:
        # Nothing to load in the background: go straight on.
        response = make_response("", 302)
        response.headers["Location"] = redirect_uri
    current_app.logger.info("logout: %d relying parties notified", services)
    return response


def _open_sids(account: Account) -> list[str]:
    query = sa.select(BrowserSession.sid).where(
        BrowserSession.account_id == account.id, BrowserSession.ended_at.is_(None)
    )
    return list(db.session.scalars(query))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
