"""Signing in through Compte with Authlib's Flask OAuth client, and the login session.

Code flow with PKCE (S256) and a nonce; Authlib validates the ID token against Compte's
JWKS. The tokens live in the LoginSession row; the cookie only names that row.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, current_app, g, request, session, url_for

from clients.common.db import LoginSession, db

log = logging.getLogger(__name__)
SCOPES = "openid profile email phone offline_access launcher"


def _fetch_token(name: str) -> dict[str, Any] | None:
    login = current_login()
    return login.token() if login else None


def _update_token(
    name: str, token: dict[str, Any], refresh_token: str | None = None, access_token=None
) -> None:
    """Authlib refreshed the access token (refresh_token grant): keep the new pair."""
    login = current_login()
    if login is not None:
        login.store_token(token)
        db.session.commit()


def init_oauth(app: Flask) -> OAuth:
    oauth = OAuth(app, fetch_token=_fetch_token, update_token=_update_token)
    issuer = app.config["ISSUER"]
    oauth.register(
        name="compte",
        client_id=app.config["CLIENT_ID"],
        client_secret=app.config["CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config.get("SCOPES", SCOPES),
            "code_challenge_method": "S256",
            "timeout": 5,
        },
    )
    app.extensions["rp.oauth"] = oauth
    return oauth


def compte():
    """The registered Authlib client of this app."""
    return current_app.extensions["rp.oauth"].compte


def current_login() -> LoginSession | None:
    """The LoginSession of this browser, or None (also when a logout ended it)."""
    if "rp_login" not in g:
        login = None
        login_id = session.get("login_id")
        if login_id:
            login = db.session.get(LoginSession, login_id)
            if login is None:
                session.pop("login_id", None)
        g.rp_login = login
    return g.rp_login


def safe_next(target: str | None) -> str:
    """Only a local path (never //host or an absolute URL): no open redirect."""
    if not target:
        return url_for(current_app.config["HOME_ENDPOINT"])
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for(current_app.config["HOME_ENDPOINT"])
    # Browsers read "\\" as "/" and drop tabs and newlines: "/\\evil.example" is "//evil…".
    if "\\" in target or any(ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return url_for(current_app.config["HOME_ENDPOINT"])
    return target


def start_login(next_url: str | None = None):
    """Send the browser to Compte's authorization endpoint (code + PKCE + nonce)."""
    session["rp_next"] = safe_next(next_url)
    redirect_uri = current_app.config["BASE_URL"] + "/auth/callback"
    kwargs: dict[str, Any] = {"nonce": secrets.token_urlsafe(16)}
    if request.args.get("login_hint"):
        kwargs["login_hint"] = request.args["login_hint"][:255]
    return compte().authorize_redirect(redirect_uri, **kwargs)


RESTART_AFTER = 60  # seconds between two automatic restarts (never a redirect loop)


def restart_login():
    """Start the login again, for the page first wanted, when the callback's state is no
    longer known — if this browser keeps our cookie (rp_next is there) and was not sent
    round less than RESTART_AFTER ago. None: show the failure page instead."""
    if request.args.get("error") or "rp_next" not in session:
        return None
    now = int(time.time())
    if now - int(session.get("rp_restarted", 0)) < RESTART_AFTER:
        return None
    session["rp_restarted"] = now
    return start_login(session["rp_next"])


def login_required(view: Callable) -> Callable:
    """A page of the service: without a session, straight to Compte's login."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_login() is None:
            if request.method != "GET":  # never come back to a form POST: go home
                return start_login(None)
            return start_login(request.full_path if request.query_string else request.path)
        return view(*args, **kwargs)

    return wrapper


def finish_login() -> str:
    """Handle the callback: exchange the code, validate the ID token, open the session."""
    client = compte()
    # RFC 9207: Compte names itself in every authorization response; an answer naming
    # another issuer is a mix-up (a response from elsewhere replayed here): refused.
    issuer = request.args.get("iss")
    if issuer is not None and not hmac.compare_digest(issuer, current_app.config["ISSUER"]):
        raise OAuthError(error="invalid_issuer", description="iss is not Compte's issuer")
    token = client.authorize_access_token()  # validates state, PKCE, ID token, nonce
    claims = dict(token.get("userinfo") or {})
    try:
        userinfo = client.userinfo(token=token)
        # OIDC Core 5.3.2: userinfo about another subject must not be used.
        if userinfo.get("sub") == claims.get("sub"):
            claims.update(userinfo)
    except (OAuthError, ValueError, OSError) as error:  # the ID token is enough to go on
        log.warning("userinfo failed: %s", error)
    login = LoginSession(
        id=secrets.token_urlsafe(32),
        sub=claims["sub"],
        sid=claims.get("sid"),
        id_token=token["id_token"],
        claims={k: v for k, v in claims.items() if k not in ("nonce", "at_hash", "aud")},
    )
    login.store_token(token)
    previous = session.get("login_id")
    if previous:
        db.session.query(LoginSession).filter_by(id=previous).delete()
    db.session.add(login)
    db.session.commit()
    next_url = session.pop("rp_next", None)
    session["login_id"] = login.id
    g.rp_login = login
    on_login = current_app.config.get("ON_LOGIN")
    if on_login is not None:
        on_login(login.sub, login.claims)
        db.session.commit()
    return safe_next(next_url)


def end_local_session() -> LoginSession | None:
    """Forget this browser's session here (the caller then logs out at Compte)."""
    login = current_login()
    session.pop("login_id", None)
    if login is not None:
        db.session.delete(login)
        db.session.commit()
    g.rp_login = None
    return login


def end_sessions(*, sid: str | None, sub: str | None) -> int:
    """End every session of this OP session `sid` (or, without sid, of the person `sub`)."""
    query = db.session.query(LoginSession)
    if sid:
        query = query.filter(LoginSession.sid == sid)
        if sub:
            query = query.filter(LoginSession.sub == sub)
    elif sub:
        query = query.filter(LoginSession.sub == sub)
    else:
        return 0
    count = query.delete(synchronize_session=False)
    db.session.commit()
    return count
