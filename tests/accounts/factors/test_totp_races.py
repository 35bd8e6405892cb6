"""Authenticator app under parallel requests: one code used twice at once is accepted
once; two enrolments begun at once leave one pending enrolment, and no error."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from idp.accounts.factors import totp
from idp.accounts.factors.models import TotpFactor
from idp.accounts.models import Account
from idp.core.extensions import db
from tests.support.accounts import make_account
from tests.support.factors import at_once, code_at, enrol_totp, freeze_totp_clock

STEP = 1_900_000_000 // totp.STEP


def _at_once(app, account_id: int, action: Callable[[Account], object]) -> list:
    """Two requests that have both read the authenticator app act at the same moment."""
    return at_once(app, account_id, action, before=totp._factor)


def test_two_parallel_requests_cannot_both_use_one_code(app, monkeypatch):
    """The same code sent twice at once: exactly one request accepts it."""
    freeze_totp_clock(monkeypatch, STEP)
    account_id = make_account(app)
    secret = enrol_totp(app, account_id)
    freeze_totp_clock(monkeypatch, STEP + 1)
    code = code_at(secret, STEP + 1)
    assert sorted(_at_once(app, account_id, lambda a: totp.verify(a, code))) == [False, True]


def test_two_enrolments_begun_at_once_leave_one(app):
    """A double click on "Ajouter": both pages answer with a key, one enrolment pends."""
    account_id = make_account(app)
    results = _at_once(app, account_id, lambda a: totp.begin(a, None))
    assert len(results) == 2
    with app.app_context():
        rows = db.session.scalars(sa.select(TotpFactor)).all()
        assert len(rows) == 1 and rows[0].confirmed_at is None
