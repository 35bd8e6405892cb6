"""Tables of the federation: the upstream providers and the accounts linked to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = ["UpstreamLink", "UpstreamProvider", "UpstreamSession"]

# The kinds of upstream provider: the State's two federations have their own defaults
# (endpoints, acr, claims, official button); "oidc" is any OpenID provider.
KINDS = ("franceconnect", "proconnect", "oidc")


class UpstreamProvider(db.Model):
    """An OpenID provider people may sign in through, declared by an administrator."""

    __tablename__ = "upstream_provider"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Short name, used in URLs (/login/with/<name>) and by `compte providers`.
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # What the login page's button says ("FranceConnect", "Intranet du ministère").
    label: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), default="oidc", nullable=False)
    # The provider's issuer URL; its discovery document gives the endpoints.
    issuer: Mapped[str] = mapped_column(String(500), nullable=False)
    client_id: Mapped[str] = mapped_column(String(255), nullable=False)
    # Compte must send the secret, so it is sealed (idp/core/sealing), never hashed.
    client_secret_sealed: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="openid email", nullable=False)
    # The acr values asked for (space separated); the ID token's acr must be one of them.
    acr_values: Mapped[str | None] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


class UpstreamLink(db.Model):
    """An account reachable through an upstream identity (one per provider and subject)."""

    __tablename__ = "upstream_link"
    __table_args__ = (UniqueConstraint("provider_id", "subject", name="uq_upstream_link_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("upstream_provider.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # The upstream `sub` (pairwise at FranceConnect: stable for Compte only).
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    # FranceConnect's pivot identity as it was last given (given_name, family_name,
    # birthdate, gender, birthplace, birthcountry); the NIR is never derived from it.
    pivot_identity: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None]

    provider: Mapped[UpstreamProvider] = relationship(lazy="joined")
    account: Mapped[Account] = relationship()


class UpstreamSession(db.Model):
    """A Compte sign-in made through an upstream provider, with the ID token the provider
    issued (sealed): sent back as `id_token_hint` to end the upstream session when the
    person logs out of Compte. The browser's session names the row; it goes at logout, or
    once older than any Compte session can live (idp/federation/upstream_logout.py)."""

    __tablename__ = "upstream_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("upstream_provider.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    id_token_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True, nullable=False)

    provider: Mapped[UpstreamProvider] = relationship(lazy="joined")
