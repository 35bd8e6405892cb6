"""The lean path's answers: each returns the answer of a request it can prove successful
under the full path's rules, or None to hand the request to the full path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import scope_to_list
from flask import Flask

from idp.audit import counted, event_row
from idp.core.clock import utcnow
from idp.core.sealing import seal
from idp.oidc import tokens, validity
from idp.oidc.capabilities import SUPPORTED, enabled
from idp.oidc.claims import user_info
from idp.oidc.endpoints import introspection_payload
from idp.oidc.lean import store as sql
from idp.oidc.token_keys import lookup_key

if TYPE_CHECKING:
    from idp.oidc.lean.request import ClientCredentials, PlainRequest
    from idp.oidc.lean.store import Store
    from idp.oidc.models import Client

Answer = dict[str, Any] | bytes | None
TOKEN_PARAMETERS = {"grant_type", "scope", "refresh_token", "client_id", "client_secret"}


def userinfo(request: PlainRequest, store: Store, app: Flask) -> Answer:
    """The claims of a usable bearer token with the openid scope (unsigned userinfo)."""
    value = request.bearer()
    if value is None:
        return None
    loaded = store.load(sql.BY_ACCESS_TOKEN, digest=lookup_key(value))
    if loaded is None or loaded.account is None:
        return None
    client, token, account = loaded
    state = validity.state_of(token, client, account, validity.ACCESS_TOKEN)
    if not validity.is_usable(state) or "openid" not in (scope_to_list(token.scope) or []):
        return None
    if client.client_metadata.get("userinfo_signed_response_alg"):
        return None  # a signed answer: the full path signs it
    # The claims the authorization asked for userinfo (OpenID Connect Core 5.5) come with
    # the token row (TOKEN selects every column); user_info is the full path's function.
    return dict(user_info(account, client, token.scope, token.claims))


def _authenticated(client: Client | None, credentials: ClientCredentials, endpoint: str) -> bool:
    """The client exists, is enabled, uses this method here and proved it (the checks of
    Authlib's client authentication, by the model's own methods)."""
    if client is None or client.disabled:
        return False
    if not client.check_endpoint_auth_method(credentials.method, endpoint):
        return False
    if credentials.method == "none":  # a public client: its client_id is all it has
        return client.is_public
    return credentials.secret is not None and client.check_client_secret(credentials.secret)


def introspection(request: PlainRequest, store: Store, app: Flask) -> Answer:
    """RFC 7662: a confidential client asks about one of its own usable tokens."""
    credentials = request.client()
    value = request.token_value("token")
    hint = request.form.get("token_type_hint")
    if credentials is None or value is None or hint not in (None, *validity.KINDS):
        return None
    if credentials.method not in SUPPORTED.confidential_auth_methods:
        return None
    digest = lookup_key(value)
    loaded = store.load(sql.CLIENT_WITH_ANY_TOKEN, client_id=credentials.client_id, digest=digest)
    if loaded is None or not _authenticated(loaded.client, credentials, "introspection"):
        return None
    client, token, account = loaded
    if token is None or token.client_id != client.client_id:
        return None
    kind = validity.REFRESH_TOKEN if token.refresh_token_hash == digest else validity.ACCESS_TOKEN
    if not validity.is_usable(validity.state_of(token, client, account, kind)):
        return None
    return introspection_payload(token, client, account, kind)


def token(request: PlainRequest, store: Store, app: Flask) -> Answer:
    """The token endpoint's client_credentials and refresh_token grants."""
    form = request.form
    grant_type = form.get("grant_type")
    credentials = request.client()
    if credentials is None or not set(form) <= TOKEN_PARAMETERS:
        return None
    if grant_type not in enabled(app.config).grant_types:
        return None
    if grant_type == "client_credentials":
        return _client_credentials(request, store, credentials)
    if grant_type == "refresh_token":
        return _refresh(request, store, credentials)
    return None


def _client_credentials(
    request: PlainRequest, store: Store, credentials: ClientCredentials
) -> Answer:
    """Decided on the pool's copy of the client and written only if the client's row is
    still that copy (one round trip); otherwise, or when that copy refuses the request,
    decided again on the row as it is now."""
    if credentials.method not in SUPPORTED.confidential_auth_methods:
        return None
    for fresh in (False, True):
        known = store.client(credentials.client_id, fresh=fresh)
        if known is None:
            return None
        answer = _issue_to(request, store, credentials, known)
        if answer is not None or not known.kept:
            return answer
    return None


def _issue_to(
    request: PlainRequest, store: Store, credentials: ClientCredentials, known: sql.Versioned
) -> Answer:
    client = known.client
    if not _authenticated(client, credentials, "token"):
        return None
    scope = request.form.get("scope")
    allowed = set(scope_to_list(client.scope) or [])
    if not client.check_grant_type("client_credentials") or "refresh_token" in request.form:
        return None
    if scope is not None and not set(scope_to_list(scope) or []) <= allowed:
        return None  # the full path decides what an unknown scope gets
    issued = tokens.generate_token(
        "client_credentials", client, None, scope, include_refresh_token=False
    )
    row = tokens.token_values(issued, client, None)
    details = tokens.issued_details("client_credentials", row["scope"], issued)
    event = event_row("token.issued", client_id=client.client_id, where=request.where(), **details)
    if not store.issue(row, event, client=known):
        return None  # the client changed since this copy was read
    counted(event)
    return issued


def _refresh(request: PlainRequest, store: Store, credentials: ClientCredentials) -> Answer:
    value = request.token_value("refresh_token")
    if value is None or "scope" in request.form:
        return None  # narrowing the scope: the full path checks it
    loaded = store.load(
        sql.CLIENT_WITH_REFRESH_TOKEN,
        client_id=credentials.client_id,
        digest=lookup_key(value),
    )
    if loaded is None or not _authenticated(loaded.client, credentials, "token"):
        return None
    client, parent, account = loaded
    if not client.check_grant_type("refresh_token") or parent is None or account is None:
        return None
    state = validity.state_of(parent, client, account, validity.REFRESH_TOKEN)
    if parent.client_id != client.client_id or not validity.is_usable(state):
        return None  # a reuse, a retry, an expired token…: the full path's rules
    issued = tokens.generate_token(
        "refresh_token", client, account, parent.scope, include_refresh_token=True
    )
    row = tokens.token_values(issued, client, account, parent=parent)
    details = tokens.issued_details("refresh_token", row["scope"], issued)
    event = event_row(
        "token.issued",
        account_id=account.id,
        client_id=client.client_id,
        where=request.where(),
        **details,
    )
    body = tokens.answer_body(issued)
    retry = seal(body.decode()) if tokens.reuse_grace() > 0 else None
    if not store.issue(row, event, claim=(parent.id, utcnow(), retry)):
        return None  # rotated meanwhile by a parallel request: a retry or a reuse
    counted(event)
    return body
