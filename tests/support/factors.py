"""Second factors for tests: an authenticator app enrolled without its pages, the codes
it shows at a given time, and what the pages show of them."""

from __future__ import annotations

import re
import threading
from html import unescape

import pyotp
import sqlalchemy as sa

from idp.accounts.factors import totp
from idp.accounts.factors.models import TotpFactor
from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import seal

# A session that used two factors (what the pages that change factors ask for).
MFA = ["pwd", "otp", "mfa"]
SECRET_ON_PAGE = re.compile(r'<code class="totp-secret">([A-Z2-7 ]+)</code>')
RECOVERY_CODE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def code_at(secret: str, step: int) -> str:
    """The code an authenticator app with `secret` shows during time step `step`."""
    return pyotp.TOTP(secret).at(step * totp.STEP)


def freeze_totp_clock(monkeypatch, step: int) -> None:
    """The server's TOTP clock stands in the middle of time step `step`."""
    monkeypatch.setattr(totp, "_now", lambda: step * totp.STEP + totp.STEP / 2)


def enrol_totp(app, account_id: int) -> str:
    """A confirmed authenticator app for the account (as if enrolled through its page,
    without audit nor mail); returns its secret."""
    with app.app_context():
        account = db.session.get(Account, account_id)
        secret, marker = totp.begin(account, None)
        now_step = int(totp._now()) // totp.STEP
        assert totp.confirm(account, code_at(secret, now_step), marker)
        db.session.commit()
    return secret


def secret_on(html: str) -> str:
    """The key for manual entry shown by the enrolment page, without its spaces."""
    found = SECRET_ON_PAGE.search(html)
    assert found, "no key for manual entry on the page"
    return found.group(1).replace(" ", "")


def recovery_codes_on(html: str) -> list[str]:
    return [unescape(code) for code in RECOVERY_CODE.findall(html)]


def seen(response) -> str:
    """The page's HTML with its entities read ("d&#39;authentification" as a person
    reads it)."""
    return unescape(response.get_data(as_text=True))


def give_totp(app, account_id: int) -> pyotp.TOTP:
    """A confirmed authenticator app for the account, no code used yet (as the sign-in
    tests need); returns the app (its current code: `.now()`)."""
    secret = pyotp.random_base32()
    with app.app_context():
        db.session.add(
            TotpFactor(account_id=account_id, secret_sealed=seal(secret), confirmed_at=utcnow())
        )
        db.session.commit()
    return pyotp.TOTP(secret)


def code_at_step(app_totp: pyotp.TOTP, step: int) -> str:
    """The code of time step `step` (30-second periods since the epoch)."""
    return app_totp.at(int(step) * app_totp.interval)


def at_once(app, account_id: int, action, before=None) -> list:
    """Run `action(account)` in two threads (two requests) that both read the account
    (and do `before(account)`), then act at the same moment and commit; returns what
    each got (False for SQLite's "database is locked", a refusal too)."""
    barrier = threading.Barrier(2)
    results: list = []

    def attempt() -> None:
        with app.test_request_context():
            account = db.session.get(Account, account_id)
            if before is not None:
                before(account)
            barrier.wait()
            try:
                results.append(action(account))
                db.session.commit()
            except sa.exc.OperationalError:
                db.session.rollback()
                results.append(False)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
