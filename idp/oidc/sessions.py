"""Browser sessions (`sid`) and logging out of Compte and of every relying party.

Flask-Login's signals open and close a BrowserSession; every client that received a
code during it is recorded (SessionClient). `finish_logout()` — used by Compte's own
logout button and by the end-session endpoint — ends the session, tells each client
(back-channel POST, front-channel iframes) and shows "Vous êtes déconnecté".
"""

from __future__ import annotations

import secrets
import time

from flask import Flask, Response, current_app, make_response, render_template, session, url_for
from flask_login import current_user, logout_user, user_logged_in, user_logged_out

from idp.accounts.models import Account, utcnow
from idp.audit import record
from idp.extensions import db
from idp.oidc.models import BrowserSession, Client, SessionClient

SESSION_KEYS = ("sid", "auth_time", "amr", "oidc_reauth")


def _session_row(sid: str | None) -> BrowserSession | None:
    if not sid:
        return None
    return db.session.scalar(db.select(BrowserSession).where(BrowserSession.sid == sid))


def on_logged_in(sender: Flask, user: Account, **_: object) -> None:
    """Open a browser session (or keep the current one on re-authentication).

    auth_time / amr are set here too, in case a login path does not set them."""
    session["auth_time"] = int(time.time())
    session.setdefault("amr", ["pwd"])
    current = _session_row(session.get("sid"))
    if current is not None and current.account_id == user.id and current.ended_at is None:
        return
    sid = secrets.token_urlsafe(24)
    db.session.add(BrowserSession(sid=sid, account_id=user.id))
    db.session.commit()
    session["sid"] = sid


def on_logged_out(sender: Flask, user: Account | None, **_: object) -> None:
    """Close the browser session (RPs are told by finish_logout, not here)."""
    row = _session_row(session.get("sid"))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        db.session.commit()
    for key in SESSION_KEYS:
        session.pop(key, None)


def connect_signals(app: Flask) -> None:
    user_logged_in.connect(on_logged_in, app)
    user_logged_out.connect(on_logged_out, app)


def session_clients(sid: str | None) -> list[Client]:
    """The clients that received a code during browser session `sid`."""
    if not sid:
        return []
    return [
        row.client
        for row in db.session.scalars(db.select(SessionClient).where(SessionClient.sid == sid))
        if row.client is not None and not row.client.disabled
    ]


def current_sid() -> str | None:
    return session.get("sid")


def finish_logout(redirect_uri: str | None = None) -> Response:
    """Log out of Compte and of every relying party of this browser session.

    `redirect_uri`: a post-logout redirect already validated for its client (state
    included), or None to continue to Compte's login page."""
    from idp.oidc.logout import frontchannel_urls, send_backchannel_logouts

    sid = session.get("sid")
    account = current_user._get_current_object() if current_user.is_authenticated else None
    clients = session_clients(sid)
    if account is not None:
        record("logout", account=account, sid_known=bool(sid), clients=len(clients))
        db.session.commit()
        logout_user()
    for key in SESSION_KEYS:
        session.pop(key, None)
    if account is not None and sid:
        send_backchannel_logouts(account, sid, clients)
    frames = frontchannel_urls(sid, clients) if sid else []
    continue_url = redirect_uri or url_for("accounts.login")
    response = make_response(
        render_template("oidc/logged_out.html", frames=frames, continue_url=continue_url)
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
    current_app.logger.info("logout: %d relying parties notified", len(clients))
    return response


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
