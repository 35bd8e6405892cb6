"""Tables of this area: captcha challenges, stored server-side so that any instance can
check an answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from idp.core.clock import utcnow
from idp.core.extensions import db

__all__ = ["CaptchaChallenge"]


class CaptchaChallenge(db.Model):
    """One captcha shown to someone. The characters are never stored: only their HMAC."""

    __tablename__ = "captcha_challenge"

    # Random URL-safe identifier (secrets.token_urlsafe), public: it is in the page.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # HMAC-SHA256 (key SECRET_KEY) of the id and the expected answer, hex.
    answer_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    # Set by the first answer checked, right or wrong (or when replaced): single use.
    used_at: Mapped[datetime | None]
    # Set when that answer was right: the form may then be accepted once (redeemed_at),
    # so that a person whose form had another error does not solve a new captcha.
    solved_at: Mapped[datetime | None]
    redeemed_at: Mapped[datetime | None]
