"""The account and what hangs off it: password history, terms acceptances, used links."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = [
    "Account",
    "BrowserSession",
    "PasswordHistory",
    "RegistrationDraft",
    "TermsAcceptance",
    "UsedLink",
]


class Account(UserMixin, db.Model):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The public subject identifier given to relying parties; never the row id.
    sub: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid.uuid4()), nullable=False
    )
    civility: Mapped[str | None] = mapped_column(String(4))  # "mme" or "m"
    given_name: Mapped[str] = mapped_column(String(100), nullable=False)
    family_name: Mapped[str] = mapped_column(String(100), nullable=False)
    birth_name: Mapped[str | None] = mapped_column(String(100))
    birthdate: Mapped[date | None] = mapped_column(Date)
    # Stored lower-cased; unique.
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    email_confirmed_at: Mapped[datetime | None]
    secondary_email: Mapped[str | None] = mapped_column(String(254))
    secondary_email_confirmed_at: Mapped[datetime | None]
    phone: Mapped[str | None] = mapped_column(String(32))
    mobile: Mapped[str | None] = mapped_column(String(32))
    # French social security number, 15 characters without spaces (13 + key); unique.
    nir: Mapped[str | None] = mapped_column(String(15), unique=True)
    address: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(String(8))
    # The name the person uses day to day, when it is not the family name (`usual_name`).
    usual_name: Mapped[str | None] = mapped_column(String(100))
    # Set by an administrator (idp/organizations): the account's organisation, winning over
    # its e-mail's domain; its unit (ministry, direction, service) and population (agent…).
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True
    )
    organizational_unit: Mapped[str | None] = mapped_column(String(200))
    belonging_population: Mapped[str | None] = mapped_column(String(50))

    password_hash: Mapped[str] = mapped_column(String(100), nullable=False)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped to end every other session of the account (password change or reset).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    last_login_at: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    # The WebAuthn user handle of the account's passkeys: random, never personal data.
    webauthn_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Since when the person receives sign-in codes by e-mail as a second factor
    # (idp/accounts/factors/email_code.py; only where EMAIL_CODE_FACTOR is on).
    email_factor_at: Mapped[datetime | None]

    terms_version: Mapped[str | None] = mapped_column(String(32))
    terms_accepted_at: Mapped[datetime | None]

    password_history: Mapped[list[PasswordHistory]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="PasswordHistory.id"
    )

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login: locked or unconfirmed accounts have no session
        return self.is_confirmed and not self.is_locked

    def get_id(self) -> str:
        # Flask-Login stores this in the session; a new epoch invalidates old sessions.
        return f"{self.id}:{self.session_epoch}"

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def confirmed_secondary_email(self) -> str | None:
        return self.secondary_email if self.secondary_email_confirmed_at else None


class PasswordHistory(db.Model):
    """Every password hash the account ever had (the current one included)."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    password_hash: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    account: Mapped[Account] = relationship(back_populates="password_history")


class TermsAcceptance(db.Model):
    """One row per version of the terms an account accepted, with its time."""

    __tablename__ = "terms_acceptance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    version: Mapped[str] = mapped_column(String(32), nullable=False)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class UsedLink(db.Model):
    """Marks a signed e-mail link as used, so that it works once only."""

    __tablename__ = "used_link"

    # sha256 of the token: the token itself is a bearer secret and is not stored.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    used_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)


class RegistrationDraft(db.Model):
    """What the registration wizard has gathered so far (names, e-mail, NIR; never the
    password), kept on the server: the browser's session only holds the draft's key. Also
    what correcting a registration's address needs (`{"change": …}`, written by
    idp/accounts/address_change.py: at most the password's bcrypt hash, as an account)."""

    __tablename__ = "registration_draft"

    # sha256 of the random key held in the session (the key is a bearer secret).
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(db.JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)


class BrowserSession(db.Model):
    """One Compte login in one browser: the `sid` of OpenID Connect session management.

    The server-side truth of a session: the browser's cookie only names it, and every
    request checks it here (idp/accounts/sessions.py), so an ended session stays ended even
    for a copy of its cookie."""

    __tablename__ = "oauth_browser_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    # Updated at most once a minute (SESSION_IDLE_TIMEOUT counts from it).
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    ended_at: Mapped[datetime | None]
    # "Rester connecté" was ticked: the session lasts REMEMBER_SESSION_LIFETIME from its
    # login (no idle timeout) and its cookie outlives the browser until then.
    remembered: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    # Why it ended: logout, logout_everywhere, idle, expired, password_changed, locked…
    ended_reason: Mapped[str | None] = mapped_column(String(24))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # Digest of the browser's long-lived device cookie: a sign-in from a browser the
    # account never used is mailed ("Nouvelle connexion à votre compte").
    device_hash: Mapped[str | None] = mapped_column(String(64), index=True)
