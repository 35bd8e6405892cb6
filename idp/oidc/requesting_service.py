"""Which service a pending authorization request comes from, for the login and
registration pages ("Pour accéder à Formadist, connectez-vous"), answered through
idp/accounts/signals.py. Only a request naming an enabled client and one of its registered
redirect URIs counts: an arbitrary parameter never puts a name or a logo on the page."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask, url_for

from idp.accounts import signals
from idp.oidc.server import query_client


def service_of(app: Flask, *, next_url: str) -> dict[str, Any] | None:
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or parts.path != url_for("oidc.authorize"):
        return None
    query = parse_qs(parts.query)
    client_ids, redirect_uris = query.get("client_id") or [], query.get("redirect_uri") or []
    if len(client_ids) != 1 or len(redirect_uris) > 1:
        return None
    client = query_client(client_ids[0])
    if client is None:
        return None
    if redirect_uris and not client.check_redirect_uri(redirect_uris[0]):
        return None
    # The same request, cancelled: the service hears access_denied (views.cancel_authorization).
    back = url_for("oidc.cancel_authorization") + "?" + parts.query if redirect_uris else None
    return {"name": client.name, "logo_uri": client.logo_uri or None, "back": back}


def init_app(app: Flask) -> None:
    signals.requesting_service.connect(service_of, app)
