"""Captcha challenges: create, check (single use, expiring), and purge.

A challenge is a random public id. Its characters are derived from that id with
HMAC-SHA256 keyed by SECRET_KEY, so every instance sharing the secret can draw the image
and speak the audio without the characters ever being stored; the table keeps only an HMAC
of the expected answer (checked in constant time) and the use/expiry timestamps, so that
single use holds across instances. Nothing here knows about Flask requests or forms.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from idp.captcha.models import CaptchaChallenge
from idp.core import metrics
from idp.core.batches import batch_size, delete_limited
from idp.core.clock import utcnow
from idp.core.extensions import db

# Key of `app.extensions` where TEST code (never production code) may put a callable
# `observer(challenge_id, text)` told the characters of every new challenge.
OBSERVER_KEY = "compte.captcha_observer"

PENDING = "pending"  # waiting for its answer
SOLVED = "solved"  # answered right, the form using it may still be accepted once
EXPIRED = "expired"  # older than CAPTCHA_MAX_AGE


def _settings() -> tuple[str, int, int]:
    config = current_app.config
    alphabet = str(config["CAPTCHA_ALPHABET"]).upper()
    length = int(config["CAPTCHA_LENGTH"])
    max_age = int(config["CAPTCHA_MAX_AGE"])
    return alphabet, length, max_age


def _mac(purpose: str, message: str) -> bytes:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"compte.captcha.{purpose}:{message}".encode(), hashlib.sha256).digest()


def normalise_answer(answer: str | None) -> str:
    """What people type is compared without case nor spaces: ' ab 3d ' == 'AB3D'."""
    return "".join((answer or "").split()).upper()


def _answer_hash(challenge_id: str, answer: str) -> str:
    return _mac("answer", f"{challenge_id}:{normalise_answer(answer)}").hex()


def challenge_text(challenge_id: str) -> str:
    """The characters of a challenge, derived from its id and the secret key.

    Hand-written rather than `random.choice`: the text must be reproducible by any
    instance from the id alone. Bytes of an HMAC stream are drawn with rejection sampling
    so that every character of the alphabet is equally likely."""
    alphabet, length, _ = _settings()
    limit = 256 - 256 % len(alphabet)
    chars: list[str] = []
    counter = 0
    while len(chars) < length:
        for byte in _mac("text", f"{challenge_id}:{counter}"):
            if byte < limit and len(chars) < length:
                chars.append(alphabet[byte % len(alphabet)])
        counter += 1
    return "".join(chars)


# The shape of the ids new_challenge() makes (secrets.token_urlsafe), with room to spare.
CHALLENGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_challenge() -> str:
    """Create a challenge (committed) and return its id."""
    _, _, max_age = _settings()
    challenge_id = secrets.token_urlsafe(24)
    text = challenge_text(challenge_id)
    now = utcnow()
    db.session.add(
        CaptchaChallenge(
            id=challenge_id,
            answer_hash=_answer_hash(challenge_id, text),
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
    )
    db.session.commit()
    metrics.count_captcha_shown()  # every challenge is drawn for a person to see
    observer: Callable[[str, str], None] | None = current_app.extensions.get(OBSERVER_KEY)
    if observer is not None:
        observer(challenge_id, text)
    return challenge_id


def _load(challenge_id: str | None) -> CaptchaChallenge | None:
    # Only what new_challenge() makes reaches the database: a lone surrogate from a JSON
    # body cannot even be encoded for it (a 500).
    if not isinstance(challenge_id, str) or not CHALLENGE_ID.fullmatch(challenge_id):
        return None
    statement = (
        select(CaptchaChallenge)
        .where(CaptchaChallenge.id == challenge_id)
        .execution_options(populate_existing=True)
    )
    return db.session.execute(statement).scalar_one_or_none()


def state(challenge_id: str | None, now: datetime | None = None) -> str | None:
    """PENDING, SOLVED, EXPIRED, or None (unknown, answered wrong, replaced or redeemed)."""
    challenge = _load(challenge_id)
    if challenge is None:
        return None
    if challenge.expires_at <= (now or utcnow()):
        return EXPIRED
    if challenge.used_at is None:
        return PENDING
    if challenge.solved_at is not None and challenge.redeemed_at is None:
        return SOLVED
    return None


def _mark(challenge_id: str, *conditions, **values) -> bool:
    """Atomic conditional update (committed): True when this call made the change, so two
    concurrent requests, even on two instances, can never both use a challenge."""
    statement = (
        update(CaptchaChallenge)
        .where(CaptchaChallenge.id == challenge_id, CaptchaChallenge.expires_at > utcnow())
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    changed = db.session.execute(statement).rowcount == 1
    db.session.commit()
    return changed


def verify(challenge_id: str | None, answer: str | None) -> bool:
    """Check an answer. Any attempt, right or wrong, uses the challenge up (committed)."""
    challenge = _load(challenge_id)
    if challenge is None:
        return False
    expected = challenge.answer_hash
    now = utcnow()
    if not _mark(challenge.id, CaptchaChallenge.used_at.is_(None), used_at=now):
        return False
    if not hmac.compare_digest(expected, _answer_hash(challenge.id, answer or "")):
        return False
    _mark(challenge.id, CaptchaChallenge.solved_at.is_(None), solved_at=now)
    return True


def redeem(challenge_id: str | None) -> bool:
    """Accept the form of a solved challenge, once: True for the first caller only."""
    if state(challenge_id) != SOLVED:
        return False
    return _mark(
        challenge_id,
        CaptchaChallenge.solved_at.is_not(None),
        CaptchaChallenge.redeemed_at.is_(None),
        redeemed_at=utcnow(),
    )


def discard(challenge_id: str | None) -> None:
    """Retire a pending challenge replaced by new characters."""
    if state(challenge_id) == PENDING:
        _mark(challenge_id, CaptchaChallenge.used_at.is_(None), used_at=utcnow())


def purge_expired(now: datetime | None = None) -> int:
    """Delete expired challenges, in batches (commits); returns how many."""
    expired = CaptchaChallenge.expires_at < (now or utcnow())
    return delete_limited(CaptchaChallenge, CaptchaChallenge.id, expired, batch_size())
