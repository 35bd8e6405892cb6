"""Signed, expiring, single-use links sent by e-mail (confirmation, reset, secondary e-mail).

itsdangerous signs and time-stamps the payload; single use is recorded in `used_link`
by the token's SHA-256 (the token is a secret and is never stored)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from idp.accounts.errors import LinkAlreadyUsed, LinkExpired, LinkInvalid
from idp.accounts.models import UsedLink
from idp.core.batches import batch_size, delete_limited
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The purpose is the salt: a reset token can never pass as a confirmation token.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"compte.{purpose}")


def make_token(purpose: str, data: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(data)


def read_token(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """Check signature and age; raises LinkExpired, LinkInvalid or LinkAlreadyUsed."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise LinkExpired("Ce lien a expiré.") from error
    except BadSignature as error:
        raise LinkInvalid("Ce lien n'est pas valide.") from error
    if db.session.get(UsedLink, secret_digest(token)) is not None:
        raise LinkAlreadyUsed("Ce lien a déjà été utilisé.")
    return data


def peek_token(purpose: str, token: str) -> dict[str, Any] | None:
    """The payload of a genuine token whatever its age or use (to explain an expired or
    used link); None when the signature is wrong."""
    try:
        return _serializer(purpose).loads(token)
    except BadSignature:
        return None


def consume_token(purpose: str, token: str, max_age: int) -> None:
    """Mark the token used (in the caller's transaction). A concurrent second use fails on
    the primary key, so the link works exactly once."""
    db.session.add(
        UsedLink(
            token_hash=secret_digest(token),
            purpose=purpose,
            expires_at=utcnow() + timedelta(seconds=max_age),
        )
    )
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise LinkAlreadyUsed("Ce lien a déjà été utilisé.") from error


def purge_used(now=None) -> int:
    """Forget markers of links that have expired anyway, in batches (commits)."""
    expired = UsedLink.expires_at < (now or utcnow())
    return delete_limited(UsedLink, UsedLink.token_hash, expired, batch_size())
