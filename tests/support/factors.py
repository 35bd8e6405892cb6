"""Second factors for tests: an authenticator app given to an account directly (its
enrolment pages are tested in tests/accounts/factors), and the codes it shows."""

from __future__ import annotations

import pyotp

from idp.accounts.factors.models import TotpFactor
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import seal


def give_totp(app, account_id: int) -> pyotp.TOTP:
    """Enrol an authenticator app for the account; returns the app (codes: `.now()`)."""
    secret = pyotp.random_base32()
    with app.app_context():
        db.session.add(
            TotpFactor(account_id=account_id, secret_sealed=seal(secret), confirmed_at=utcnow())
        )
        db.session.commit()
    return pyotp.TOTP(secret)


def code_at_step(app_totp: pyotp.TOTP, step: int) -> str:
    """The code of time step `step` (30-second periods since the epoch)."""
    return app_totp.at(step * app_totp.interval)
