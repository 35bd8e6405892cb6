"""Telling relying parties about a logout: back-channel logout tokens and front-channel
iframe URLs (OpenID Connect Back-Channel / Front-Channel Logout 1.0)."""

from __future__ import annotations

import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from flask import current_app

from idp.accounts.models import Account
from idp.audit import record
from idp.core.extensions import db
from idp.oidc.claims import subject_for
from idp.oidc.keys import client_alg, sign
from idp.oidc.models import Client

log = logging.getLogger(__name__)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(account: Account, client: Client, sid: str) -> str:
    """A signed logout token for `client` (typ logout+jwt, no nonce)."""
    now = int(time.time())
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": client.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
        "sub": subject_for(account, client),
        "sid": sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    return sign(claims, client_alg(client), "logout+jwt")


def _post(uri: str, token: str, timeout: float) -> str | None:
    """POST one logout token; None on success, else a short reason (no token in it)."""
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
    timeout = float(current_app.config.get("OIDC_BACKCHANNEL_TIMEOUT", 3))
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
