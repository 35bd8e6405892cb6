"""The Dynamic Client Registration endpoints (RFC 7591 and RFC 7592), registered on the
one authorization server (idp.oidc.server.build).

Closed by default: registering needs an initial access token issued by an admin
(`compte clients token` or the admin page). A registered client manages its own record
with the registration access token returned at registration. Both tokens are bearer
secrets: only their SHA-256 is stored. Authlib's endpoints do the protocol; the client
rules are those of idp.oidc.clients (the same as the admin pages) plus the limits of
self-registered clients (never first-party, never the `nir` or `invitations` scopes).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint
from flask import current_app, url_for
from flask import request as flask_request

from idp import audit
from idp.core.clock import utcnow
from idp.core.digest import matches_digest, secret_digest
from idp.core.extensions import db
from idp.oidc.capabilities import SECRET_METHODS, current
from idp.oidc.client_registration_rules import (
    CLAIMS_CLASSES,
    check_redirect_uris,
    check_types,
    client_fields,
    rule_error,
    server_metadata,
)
from idp.oidc.client_rules import ClientError
from idp.oidc.clients import (
    client_metadata,
    create_client,
    delete_client,
    rotate_secret,
    update_client,
)
from idp.oidc.models import Client, InitialAccessToken


def issue_initial_access_token(
    created_by: Any = None, *, expires_in_days: int = 7, max_uses: int | None = 1
) -> tuple[InitialAccessToken, str]:
    """Create an initial access token (not committed); returns the row and the plain token."""
    plain = secrets.token_urlsafe(32)
    row = InitialAccessToken(
        token_hash=secret_digest(plain),
        created_by=getattr(created_by, "id", created_by),
        expires_at=utcnow() + timedelta(days=expires_in_days),
        max_uses=max_uses,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "admin.initial_access_token.created",
        actor=created_by,
        token_id=row.id,
        expires_at=row.expires_at.isoformat(timespec="seconds"),
        max_uses=max_uses,
    )
    return row, plain


def _consume(initial: InitialAccessToken) -> None:
    """Count one registration, atomically, so that max_uses holds under concurrency."""
    table = InitialAccessToken
    result = db.session.execute(
        db.update(table)
        .where(table.id == initial.id)
        .where(sa.or_(table.max_uses.is_(None), table.used_count < table.max_uses))
        .values(used_count=table.used_count + 1)
    )
    if result.rowcount != 1:
        raise InvalidTokenError("Initial access token expired, revoked or used up.")


def _bearer() -> str | None:
    kind, _, value = flask_request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if kind.lower() == "bearer" else None


class _RuleFirst:
    """Mixin for both endpoints: run our redirect URI rule before Authlib's claims."""

    def extract_client_metadata(self, request):
        check_types(request.payload.data)
        check_redirect_uris(request.payload.data)
        return super().extract_client_metadata(request)


def _ensure_secret(client: Any) -> str | None:
    """A client switched to a secret method without a secret gets one (returned once)."""
    if client.token_endpoint_auth_method in SECRET_METHODS and not client.client_secret_hash:
        return rotate_secret(client)
    return None


class RegistrationEndpoint(_RuleFirst, ClientRegistrationEndpoint):
    def __init__(self, server=None):
        super().__init__(server, claims_classes=CLAIMS_CLASSES)

    def authenticate_token(self, request):
        plain = _bearer()
        if not plain:
            raise InvalidTokenError("Registration needs an initial access token.")
        row = db.session.scalar(
            db.select(InitialAccessToken).where(
                InitialAccessToken.token_hash == secret_digest(plain)
            )
        )
        # The lookup is by hash (an index); compare again in constant time for form.
        if row is None or not matches_digest(row.token_hash, plain):
            raise InvalidTokenError("Unknown initial access token.")
        if not row.usable():
            raise InvalidTokenError("Initial access token expired, revoked or used up.")
        return row

    def get_server_metadata(self):
        return server_metadata(current())

    def create_registration_response(self, request):
        # Authlib's version makes its own client_id and secret; ours come from
        # idp.oidc.clients.create_client, so the (short) flow is written out here.
        initial = self.authenticate_token(request)
        request.credential = initial
        metadata = self.extract_client_metadata(request)
        fields = client_fields(metadata)
        _consume(initial)
        try:
            client, secret = create_client(**fields)
        except ClientError as error:
            db.session.rollback()
            raise rule_error(error) from error
        registration_token = secrets.token_urlsafe(32)
        client.registration_access_token_hash = secret_digest(registration_token)
        audit.record(
            "client.registered",
            client_id=client.client_id,
            actor=initial.created_by,
            initial_access_token_id=initial.id,
        )
        db.session.commit()
        body = client_metadata(client)
        if secret:
            body["client_secret"] = secret
        body["registration_access_token"] = registration_token
        body["registration_client_uri"] = _client_uri(client)
        return 201, body, [("Content-Type", "application/json"), ("Cache-Control", "no-store")]


@dataclass
class RegistrationAccessToken:
    client_id: str

    def check_client(self, client: Any) -> bool:
        return client.client_id == self.client_id


def _client_uri(client: Any) -> str:
    return current_app.config["ISSUER"].rstrip("/") + url_for(
        "client_registration.configure", client_id=client.client_id
    )


class ConfigurationEndpoint(_RuleFirst, ClientConfigurationEndpoint):
    def __init__(self, server=None):
        super().__init__(server, claims_classes=CLAIMS_CLASSES)

    def authenticate_token(self, request):
        plain = _bearer()
        if not plain:
            raise InvalidTokenError("The registration access token is required.")
        client = db.session.scalar(
            db.select(Client).where(Client.registration_access_token_hash == secret_digest(plain))
        )
        # A token is valid for its own client only (RFC 7592 §3: otherwise 401).
        if client is None or client.client_id != flask_request.view_args.get("client_id"):
            raise InvalidTokenError("Unknown registration access token for this client.")
        return RegistrationAccessToken(client.client_id)

    def authenticate_client(self, request):
        client_id = flask_request.view_args.get("client_id")
        return db.session.scalar(db.select(Client).where(Client.client_id == client_id))

    def revoke_access_token(self, request, token):
        # A registration access token belongs to one client row and dies with it; a token
        # naming another client is refused by check_client. Nothing to revoke here.
        return None

    def check_permission(self, client, request):
        # A client an admin disabled cannot change (or delete) itself: 403.
        return client.registration_access_token_hash is not None and not client.disabled

    def get_server_metadata(self):
        return server_metadata(current())

    def introspect_client(self, client):
        return client_metadata(client)

    def generate_client_registration_info(self, client, request):
        # Only the hash is stored: the client keeps the token it presented.
        return {
            "registration_client_uri": _client_uri(client),
            "registration_access_token": _bearer(),
        }

    def update_client(self, client, client_metadata_, request):
        fields = client_fields(client_metadata_, exclude_id=client.id)
        try:
            update_client(client, **fields)
        except ClientError as error:
            db.session.rollback()
            raise rule_error(error) from error
        request.new_secret = _ensure_secret(client)
        audit.record("client.updated_by_registration", client_id=client.client_id)
        db.session.commit()
        return client

    def create_read_client_response(self, client, request):
        status, body, headers = super().create_read_client_response(client, request)
        if getattr(request, "new_secret", None):
            body["client_secret"] = request.new_secret
        return status, body, headers

    def delete_client(self, client, request):
        client_id = client.client_id
        delete_client(client)
        audit.record("client.deleted_by_registration", client_id=client_id)
        db.session.commit()
