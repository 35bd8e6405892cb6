"""Logging out of Compte also ends the upstream session it was opened with.

At an upstream sign-in the provider's ID token is kept, sealed, in an UpstreamSession row
named by the browser's session (too big and too sensitive for the cookie). When that
browser logs out (idp/accounts/sessions.finish_logout, which also serves the relying
parties' RP-initiated logout), Compte logs out first, services included, then sends the
browser to the provider's end_session_endpoint with `id_token_hint`, `state` and our
`post_logout_redirect_uri`; the provider sends it back to /login/with/<name>/logged-out,
which shows Compte's "Vous êtes déconnecté" page, or goes on to the service that asked.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask, session

from idp.accounts import signals
from idp.accounts.models import Account
from idp.accounts.sessions import lifetimes
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import SealError, seal, unseal
from idp.federation import discovery, providers
from idp.federation.errors import FederationError
from idp.federation.models import UpstreamProvider, UpstreamSession

log = logging.getLogger(__name__)

SESSION_KEY = "federation_session"  # the UpstreamSession of this browser's sign-in
LOGOUT_KEY = "federation_logout"  # an upstream logout under way
LOGOUT_LIFETIME = 600
# The `amr` value of a sign-in through an upstream provider. RFC 8176 registers none for
# it; "fed" is the value Microsoft Entra ID and others use for a federated sign-in, and a
# relying party that does not know it still reads "one factor" (acr eidas1).
AMR_FEDERATED = "fed"


def remember(account: Account, provider: UpstreamProvider, id_token: str) -> None:
    """Keep the ID token of this browser's upstream sign-in (not committed). Rows older
    than any Compte session can live are dropped on the way."""
    limits = lifetimes()
    oldest = utcnow() - max(limits.absolute, limits.remembered) - timedelta(hours=1)
    db.session.execute(sa.delete(UpstreamSession).where(UpstreamSession.created_at < oldest))
    row = UpstreamSession(
        provider_id=provider.id, account_id=account.id, id_token_sealed=seal(id_token)
    )
    db.session.add(row)
    db.session.flush()
    session[SESSION_KEY] = row.id


def _end_session_url(provider: UpstreamProvider, id_token: str, state: str) -> str | None:
    try:
        endpoint = discovery.metadata(provider).get("end_session_endpoint")
    except FederationError as error:
        log.warning("upstream logout of %s skipped: %s", provider.name, error)
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": state,
            "post_logout_redirect_uri": providers.post_logout_redirect_uri(provider),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _upstream_logout(
    sender: Flask,
    account: Account | None,
    redirect_uri: str | None,
    page: dict[str, Any],
    **_: Any,
) -> str | None:
    """Receiver of accounts' `upstream_logout`: the provider's logout address, or None."""
    row_id = session.pop(SESSION_KEY, None)
    if account is None or not isinstance(row_id, int):
        return None
    if AMR_FEDERATED not in (session.get("amr") or []):
        return None  # signed in again since, another way
    row = db.session.get(UpstreamSession, row_id)
    if row is None or row.account_id != account.id:
        return None
    provider = row.provider
    db.session.delete(row)  # committed with the logout
    try:
        id_token = unseal(row.id_token_sealed)
    except SealError:
        return None
    if not provider.enabled:
        return None
    state = secrets.token_urlsafe(32)
    url = _end_session_url(provider, id_token, state)
    if url is not None:
        session[LOGOUT_KEY] = {
            "provider": provider.name,
            "state": state,
            "then": redirect_uri,
            "page": page,
            "at": int(time.time()),
        }
    return url


def came_back(name: str, state: str | None) -> dict[str, Any] | None:
    """The logout under way that the provider `name` just finished (its `state`), once."""
    entry = session.pop(LOGOUT_KEY, None)
    if not isinstance(entry, dict) or entry.get("provider") != name or not state:
        return None
    if not hmac.compare_digest(str(entry.get("state")), state):
        return None
    if int(time.time()) - int(entry.get("at") or 0) > LOGOUT_LIFETIME:
        return None
    return entry


def init_app(app: Flask) -> None:
    signals.upstream_logout.connect(_upstream_logout, app)
