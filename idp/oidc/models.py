"""Tables of the OpenID Provider: clients, codes, tokens, consents, keys, and
which services each browser session (idp/accounts/models.py) used.

Secrets (client secrets, codes, access and refresh tokens) are stored as SHA-256 hex
digests in indexed columns: one indexed lookup finds them, a database leak reveals none.
"""

from __future__ import annotations

import time
from datetime import datetime

from authlib.oauth2.rfc6749 import ClientMixin, list_to_scope, scope_to_list
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin as OIDCCodeMixin
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.digest import matches_digest
from idp.core.extensions import db
from idp.oidc.capabilities import DEFAULT_SIGNING_ALG, current, requires_mfa

__all__ = [
    "Client",
    "Consent",
    "InitialAccessToken",
    "AuthorizationCode",
    "SessionClient",
    "SigningKey",
    "Token",
    "UsedJti",
]


class Client(ClientMixin, db.Model):
    """A relying party (or a service client using client_credentials)."""

    __tablename__ = "oauth_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # SHA-256 hex of the secret; None for public (auth method "none") and private_key_jwt.
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    post_logout_redirect_uris: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    frontchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    token_endpoint_auth_method: Mapped[str] = mapped_column(
        String(32), default="client_secret_basic", nullable=False
    )
    grant_types: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    response_types: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # Scopes this client may ask for, space separated.
    scope: Mapped[str] = mapped_column(Text, default="", nullable=False)
    first_party: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    id_token_signed_response_alg: Mapped[str] = mapped_column(
        String(8), default=DEFAULT_SIGNING_ALG, nullable=False
    )
    subject_type: Mapped[str] = mapped_column(String(16), default="public", nullable=False)
    access_token_format: Mapped[str] = mapped_column(String(8), default="opaque", nullable=False)
    jwks: Mapped[dict | None] = mapped_column(JSON)
    jwks_uri: Mapped[str | None] = mapped_column(String(500))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)
    # RFC 7592 (client configuration endpoint): SHA-256 hex of the registration access token.
    registration_access_token_hash: Mapped[str | None] = mapped_column(String(64))
    # RFC 7591 descriptive metadata.
    client_uri: Mapped[str | None] = mapped_column(String(500))
    logo_uri: Mapped[str | None] = mapped_column(String(500))
    contacts: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    software_id: Mapped[str | None] = mapped_column(String(100))
    software_version: Mapped[str | None] = mapped_column(String(50))
    # OpenID Connect Dynamic Client Registration: the acr values asked when a request names
    # none. Only the two-factor class alone makes the client require two factors.
    default_acr_values: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # OpenID Connect Dynamic Client Registration: userinfo answered as a JWT signed with
    # this algorithm (application/jwt); None answers plain JSON.
    userinfo_signed_response_alg: Mapped[str | None] = mapped_column(String(8))

    # --- Authlib ClientMixin -------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(scope_to_list(self.scope))
        return list_to_scope([s for s in scope_to_list(scope) if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison, as OpenID Connect requires.
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(client_secret) and matches_digest(self.client_secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # The same method is required at every endpoint the client authenticates to, and
        # only while the settings leave it on.
        return self.token_endpoint_auth_method == method and method in current().auth_methods

    def check_response_type(self, response_type: str) -> bool:
        return response_type in (self.response_types or [])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in (self.grant_types or [])

    # --- Convenience ---------------------------------------------------------
    @property
    def requires_mfa(self) -> bool:
        return requires_mfa(self.default_acr_values)

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"  # noqa: S105

    @property
    def client_name(self) -> str:
        return self.name

    @property
    def client_metadata(self) -> dict:
        """RFC 7591 metadata of the client (no secret)."""
        data = {
            "client_name": self.name,
            "redirect_uris": list(self.redirect_uris or []),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris or []),
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "grant_types": list(self.grant_types or []),
            "response_types": list(self.response_types or []),
            "scope": self.scope,
            "id_token_signed_response_alg": self.id_token_signed_response_alg,
            # Absent (None): plain JSON at userinfo. Authlib's UserInfoEndpoint reads it here.
            "userinfo_signed_response_alg": self.userinfo_signed_response_alg,
            "subject_type": self.subject_type,
            "backchannel_logout_uri": self.backchannel_logout_uri,
            "backchannel_logout_session_required": bool(self.backchannel_logout_uri),
            "frontchannel_logout_uri": self.frontchannel_logout_uri,
            "frontchannel_logout_session_required": bool(self.frontchannel_logout_uri),
            "jwks_uri": self.jwks_uri,
            "jwks": self.jwks,
            "client_uri": self.client_uri,
            "logo_uri": self.logo_uri,
            "contacts": list(self.contacts or []),
            "software_id": self.software_id,
            "software_version": self.software_version,
            "default_acr_values": list(self.default_acr_values or []),
        }
        return {key: value for key, value in data.items() if value not in (None, [], "")}


class AuthorizationCode(OIDCCodeMixin, AuthorizationCodeMixin, db.Model):
    """An authorization code: single use, short-lived, stored hashed."""

    __tablename__ = "oauth_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_client.client_id", ondelete="CASCADE"), index=True, nullable=False
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    redirect_uri: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    response_type: Mapped[str] = mapped_column(String(32), default="code", nullable=False)
    scope: Mapped[str] = mapped_column(Text, default="", nullable=False)
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    auth_time: Mapped[int] = mapped_column(Integer, nullable=False)
    acr: Mapped[str | None] = mapped_column(String(100))
    amr: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    sid: Mapped[str | None] = mapped_column(String(64))
    # The "claims" request parameter, if any (OpenID Connect Core 5.5).
    claims: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[int] = mapped_column(Integer, nullable=False)
    used_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship(lazy="joined")

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str | None:
        return self.acr

    def get_amr(self) -> list[str] | None:
        return list(self.amr or []) or None

    def is_expired(self) -> bool:
        return self.expires_at < time.time()


def _partial(name: str, column: str, where: str, *, unique: bool = False) -> Index:
    """An index of only the rows matching `where`, on PostgreSQL and SQLite alike."""
    return Index(
        name, column, unique=unique, postgresql_where=text(where), sqlite_where=text(where)
    )


class Token(TokenMixin, db.Model):
    """An access token and (optionally) its refresh token, stored hashed.

    Every index costs each issued token an insertion (the token endpoint's main cost
    after the commit, docs/benchmarks.md). The columns a client_credentials token leaves
    empty are indexed only where set (partial indexes): each query on them compares
    them to a value, which implies "IS NOT NULL", so PostgreSQL still uses the index
    (foreign keys' ON DELETE included); such a token then costs three index insertions
    (id, access_token_hash, client_id) instead of nine."""

    __tablename__ = "oauth_token"
    __table_args__ = (
        _partial(
            "uq_oauth_token_refresh_token_hash",
            "refresh_token_hash",
            "refresh_token_hash IS NOT NULL",
            unique=True,
        ),
        # Read with the person's tokens (ON DELETE CASCADE, logout, connected apps).
        _partial("ix_oauth_token_account_id", "account_id", "account_id IS NOT NULL"),
        # Families are revoked only among a person's tokens (revoke_family says so): a
        # token without a person (client_credentials) is alone in its family.
        _partial("ix_oauth_token_family_id", "family_id", "account_id IS NOT NULL"),
        # Deleting a token looks for its children (ON DELETE SET NULL), as does a retry.
        _partial("ix_oauth_token_parent_id", "parent_id", "parent_id IS NOT NULL"),
        _partial("ix_oauth_token_code_id", "code_id", "code_id IS NOT NULL"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_client.client_id", ondelete="CASCADE"), index=True, nullable=False
    )
    # None for client_credentials tokens.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    token_type: Mapped[str] = mapped_column(String(16), default="Bearer", nullable=False)
    # The tokens' lookup keys (idp/oidc/token_keys.py): issue time then SHA-256, so that
    # new keys grow; a bare hex SHA-256 for older tokens and JWT access tokens.
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64))
    # Every token obtained by rotating refresh tokens from one authorization shares a family.
    family_id: Mapped[str] = mapped_column(String(36), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("oauth_token.id", ondelete="SET NULL"))
    scope: Mapped[str] = mapped_column(Text, default="", nullable=False)
    issued_at: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_in: Mapped[int] = mapped_column(Integer, nullable=False)
    refresh_expires_at: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None]
    # Set when the refresh token was exchanged for a new pair (rotation).
    rotated_at: Mapped[datetime | None]
    # The authorization code the family came from (a replayed code revokes it).
    code_id: Mapped[int | None]
    # What the original authentication was, kept for refreshed ID tokens and logout
    # (not indexed: logout looks for it among one person's tokens, by account_id).
    sid: Mapped[str | None] = mapped_column(String(64))
    auth_time: Mapped[int | None] = mapped_column(Integer)
    # The token response this refresh token's rotation gave, sealed, kept for
    # REFRESH_TOKEN_REUSE_GRACE seconds: a client that lost it may ask again.
    retry_answer: Mapped[str | None] = mapped_column(Text)
    # The "userinfo" member of the authorization request's claims parameter (OpenID
    # Connect Core 5.5), carried from the code to its tokens; None when none was asked.
    claims: Mapped[dict | None] = mapped_column(JSON)

    # Joined so that the single lookup of a token brings its client and account.
    client: Mapped[Client] = relationship(lazy="joined")
    account: Mapped[Account | None] = relationship(lazy="joined")

    # --- Authlib TokenMixin --------------------------------------------------
    def check_client(self, client: Client) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def get_expires_at(self) -> int:
        return self.issued_at + self.expires_in

    def is_expired(self) -> bool:
        return self.get_expires_at() < time.time()

    def is_refresh_token_expired(self) -> bool:
        return self.refresh_expires_at is not None and self.refresh_expires_at < time.time()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def get_user(self) -> Account | None:
        return self.account

    def get_client(self) -> Client:
        return self.client

    # Authlib's introspection / resource protector helpers.
    @property
    def user(self) -> Account | None:
        return self.account


class Consent(db.Model):
    """What a person allowed a client to receive (the union of granted scopes)."""

    __tablename__ = "oauth_consent"
    __table_args__ = (UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_client.client_id", ondelete="CASCADE"), index=True, nullable=False
    )
    scopes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None]

    client: Mapped[Client] = relationship(lazy="joined")


class SigningKey(db.Model):
    """A private signing key, sealed (idp/core/sealing.py: a database dump does not give it).

    Its life: published in JWKS from creation; signs from `activates_at` (after every
    instance and relying party has had time to see it) until `retired_at` (when its
    successor activates); stays published until `not_after`, when every token it signed
    has expired."""

    __tablename__ = "oauth_signing_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    alg: Mapped[str] = mapped_column(String(8), nullable=False)
    sealed_jwk: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    activates_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    retired_at: Mapped[datetime | None]
    # Published in JWKS until then (None while in use).
    not_after: Mapped[datetime | None]


class SessionClient(db.Model):
    """A client that received a code during a browser session (to be told of logout)."""

    __tablename__ = "oauth_session_client"
    __table_args__ = (UniqueConstraint("sid", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_client.client_id", ondelete="CASCADE"), nullable=False
    )
    first_seen: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    client: Mapped[Client] = relationship(lazy="joined")


class UsedJti(db.Model):
    """A private_key_jwt assertion already used (replay protection), kept until expiry."""

    __tablename__ = "oauth_used_jti"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    jti: Mapped[str] = mapped_column(String(255), nullable=False)
    expires_at: Mapped[int] = mapped_column(Integer, index=True, nullable=False)


class InitialAccessToken(db.Model):
    """A bearer token an admin hands out to open Dynamic Client Registration (RFC 7591)."""

    __tablename__ = "initial_access_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 hex of the token: the token is a bearer secret, shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    used_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # None: any number of registrations until it expires.
    max_uses: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None]

    def usable(self, now: datetime | None = None) -> bool:
        """Not revoked, not expired, not used up."""
        now = now or utcnow()
        if self.revoked_at is not None or self.expires_at <= now:
            return False
        return self.max_uses is None or self.used_count < self.max_uses
