"""Telling relying parties about a logout: back-channel logout tokens and front-channel
iframe URLs (OpenID Connect Back-Channel / Front-Channel Logout 1.0).

Sessions end in one place, idp/accounts/sessions.end_sessions; the receivers here, connected
by `init_app`, do the OpenID part: revoke the tokens issued in the ended sessions, send the
back-channel logouts, give the logout page its front-channel addresses, name the services
each session opened (the sessions page), and forget which services a deleted account's
sessions used."""

from __future__ import annotations

import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Flask, current_app

from idp.accounts import signals
from idp.accounts.models import Account, BrowserSession
from idp.accounts.sessions import LogoutFrames
from idp.audit import record
from idp.core.extensions import db
from idp.oidc.claims import subject_for
from idp.oidc.keys import client_alg, sign
from idp.oidc.models import Client, SessionClient, Token

log = logging.getLogger(__name__)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(account: Account, client: Client, sid: str) -> str:
    """A signed logout token for `client` (typ logout+jwt, no nonce)."""
    now = int(time.time())
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + int(current_app.config["OIDC_LOGOUT_TOKEN_LIFETIME"]),
        "jti": secrets.token_urlsafe(16),
        "sub": subject_for(account, client),
        "sid": sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    return sign(claims, client_alg(client), "logout+jwt")


def _post(uri: str, token: str, timeout: float) -> str | None:
    """POST one logout token; None on success, else a short reason (no token in it)."""
    import requests  # imported at first use: about 5 MB per worker (docs/benchmarks.md)

    try:
        response = requests.post(
            uri,
            data={"logout_token": token},
            timeout=timeout,
            allow_redirects=False,
            headers={"Cache-Control": "no-store"},
        )
    except requests.RequestException as error:
        return type(error).__name__
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    return None


def send_backchannel_logouts(
    account: Account, sid: str, clients: list[Client]
) -> dict[str, str | None]:
    """Send logout tokens to every client with a backchannel_logout_uri, in parallel,
    with a short timeout; a failing client does not block the others. Failures are
    logged and audited (logout.backchannel_failed). Returns {client_id: error or None}."""
    targets = [(c, logout_token(account, c, sid)) for c in clients if c.backchannel_logout_uri]
    if not targets:
        return {}
    timeout = float(current_app.config["OIDC_BACKCHANNEL_TIMEOUT"])
    with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
        futures = {
            c.client_id: pool.submit(_post, c.backchannel_logout_uri, token, timeout)
            for c, token in targets
        }
        results = {client_id: future.result() for client_id, future in futures.items()}
    for client_id, error in results.items():
        if error:
            log.warning("back-channel logout to client %s failed: %s", client_id, error)
            record("logout.backchannel_failed", account=account, client_id=client_id, reason=error)
    db.session.commit()
    return results


def frontchannel_urls(sid: str, clients: list[Client]) -> list[str]:
    """The front-channel logout URLs to load in hidden iframes (with iss and sid)."""
    issuer = current_app.config["ISSUER"]
    urls = []
    for client in clients:
        if not client.frontchannel_logout_uri:
            continue
        parts = urlsplit(client.frontchannel_logout_uri)
        query = parse_qsl(parts.query) + [("iss", issuer), ("sid", sid)]
        urls.append(urlunsplit(parts._replace(query=urlencode(query))))
    return urls


def session_clients(sid: str | None) -> list[Client]:
    """The clients that received a code during browser session `sid`."""
    if not sid:
        return []
    query = (
        db.select(SessionClient)
        .where(SessionClient.sid == sid)
        .order_by(SessionClient.first_seen, SessionClient.id)
    )
    return [
        row.client
        for row in db.session.scalars(query)
        if row.client is not None and not row.client.disabled
    ]


# --- Receivers of idp/accounts/signals.py ---------------------------------------------------


def revoke_session_tokens(
    app: Flask, *, account: Account, sids: list[str], everything: bool, now: datetime
) -> int:
    """Revoke the tokens issued in sessions `sids` (offline_access ones survive a plain
    logout, as their name says), or every token of the account when `everything`."""
    query = sa.update(Token).where(Token.account_id == account.id, Token.revoked_at.is_(None))
    if not everything:
        if not sids:
            return 0
        query = query.where(Token.sid.in_(sids), sa.not_(Token.scope.contains("offline_access")))
    return db.session.execute(query.values(revoked_at=now)).rowcount or 0


def tell_services(app: Flask, *, account: Account, sids: list[str]) -> int:
    """Back-channel logout of each ended session to the services that received a code in
    it; a failing service does not stop the others, nor the caller. Returns how many
    services were told."""
    told = 0
    for sid in sids:
        try:
            results = send_backchannel_logouts(account, sid, session_clients(sid))
        except Exception:  # one RP's failure must not block the others, nor the caller
            log.exception("back-channel logout failed for a session of account %s", account.id)
            db.session.rollback()
            continue
        told += sum(1 for error in results.values() if error is None)
    return told


def logout_frames(app: Flask, *, sid: str) -> LogoutFrames:
    """The services of this browser's session, their front-channel logout addresses, and
    their names for the logout page: told (a back- or front-channel logout address) or not
    (the person must close them, their tokens are revoked all the same)."""
    clients = session_clients(sid)
    told = [c for c in clients if c.backchannel_logout_uri or c.frontchannel_logout_uri]
    return LogoutFrames(
        services=len(clients),
        frames=frontchannel_urls(sid, clients),
        told=[c.name for c in told],
        untold=[c.name for c in clients if c not in told],
    )


def services_of_sessions(app: Flask, *, sids: list[str]) -> dict[str, list[str]]:
    """The names of the services that received a code in each session, first one first
    (disabled ones too: the page tells where the session was used)."""
    if not sids:
        return {}
    names: dict[str, list[str]] = {}
    query = (
        sa.select(SessionClient)
        .where(SessionClient.sid.in_(sids))
        .order_by(SessionClient.first_seen, SessionClient.id)
    )
    for row in db.session.scalars(query):
        if row.client is not None:
            names.setdefault(row.sid, []).append(row.client.name)
    return names


def forget_sessions_of(app: Flask, *, account: Account) -> None:
    """Which services each browser session used is keyed by sid, not by account."""
    sids = sa.select(BrowserSession.sid).where(BrowserSession.account_id == account.id)
    db.session.execute(sa.delete(SessionClient).where(SessionClient.sid.in_(sids)))


def init_app(app: Flask) -> None:
    signals.sessions_ending.connect(revoke_session_tokens, app)
    signals.sessions_ended.connect(tell_services, app)
    signals.logout_requested.connect(logout_frames, app)
    signals.session_services.connect(services_of_sessions, app)
    signals.account_deleting.connect(forget_sessions_of, app)
