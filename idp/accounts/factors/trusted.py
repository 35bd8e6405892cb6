"""Browsers trusted to skip the second factor ("Faire confiance à cet appareil"), where
TRUSTED_BROWSER_DAYS is above 0 (off by default).

The browser keeps a random token in a cookie; the database keeps its digest, so that a
reset of the factors, a new password or "Se déconnecter partout" forgets every trusted
browser of the account (`forget`). A sign-in that skipped the second factor this way
says only "pwd" in its `amr`: a service or page that requires two factors still asks.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request
from werkzeug.wrappers import Response

from idp.accounts.factors.models import TrustedBrowser
from idp.accounts.models import Account
from idp.core.batches import batch_size, delete_limited
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db

COOKIE = "compte_trusted"


def days() -> int:
    return int(current_app.config["TRUSTED_BROWSER_DAYS"])


def is_trusted(account: Account) -> bool:
    """True when this browser's cookie names a live trust of `account`."""
    token = request.cookies.get(COOKIE)
    if days() <= 0 or not token or len(token) > 100:
        return False
    row = db.session.get(TrustedBrowser, secret_digest(token))
    return row is not None and row.account_id == account.id and row.expires_at > utcnow()


def trust(account: Account, response: Response) -> None:
    """Trust this browser for `account` for TRUSTED_BROWSER_DAYS (the caller commits)."""
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(days=days())
    now = utcnow()
    db.session.add(
        TrustedBrowser(
            token_hash=secret_digest(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        secure=current_app.config["ISSUER"].startswith("https://"),
        httponly=True,
        samesite="Lax",
    )


def forget(account: Account) -> int:
    """Forget every browser `account` trusted (no commit); returns how many."""
    result = db.session.execute(
        sa.delete(TrustedBrowser).where(TrustedBrowser.account_id == account.id)
    )
    return result.rowcount or 0


def purge_expired(now: datetime | None = None) -> int:
    """Delete expired trusts, in batches (commits); returns how many."""
    expired = TrustedBrowser.expires_at <= (now or utcnow())
    return delete_limited(TrustedBrowser, TrustedBrowser.token_hash, expired, batch_size())
