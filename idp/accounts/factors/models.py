"""The second factors of an account, and the browsers it trusts.

Secrets are never kept in clear: the authenticator-app secret is sealed (idp/core/sealing),
recovery and e-mail codes are kept as digests (idp/core/digest), a passkey is a public key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = ["EmailCode", "Passkey", "RecoveryCode", "TotpFactor", "TrustedBrowser"]


class TotpFactor(db.Model):
    """The account's authenticator app (one per account). Enrolment is pending until a
    first valid code confirms it (`confirmed_at`)."""

    __tablename__ = "totp_factor"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), primary_key=True
    )
    secret_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    confirmed_at: Mapped[datetime | None]
    # The time step of the last accepted code: a code of that step or before is refused.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[datetime | None]


class RecoveryCode(db.Model):
    """One single-use recovery code (its digest); a new set replaces the old one."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    used_at: Mapped[datetime | None]


class Passkey(db.Model):
    """A WebAuthn credential (passkey or security key) registered by the account."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # The raw credential id (at most 1023 bytes, WebAuthn Level 3).
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True, nullable=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    transports: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    # Backed up (synced between devices, a software key: amr "swk") or bound to one
    # device (amr "hwk").
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    aaguid: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None]


class EmailCode(db.Model):
    """A 6-digit sign-in code sent by e-mail (its digest): single use, short-lived."""

    __tablename__ = "email_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    used_at: Mapped[datetime | None]


class TrustedBrowser(db.Model):
    """ "Faire confiance à cet appareil": a browser that may skip the second factor until
    `expires_at` (the cookie holds a random token; only its digest is kept here)."""

    __tablename__ = "trusted_browser"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True, nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
