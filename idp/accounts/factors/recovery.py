"""Recovery codes: 10 single-use codes, the spare key of the other factors (a phone lost,
a security key left at home).

Shown once when made, then kept only as digests (idp/core/digest): a new set replaces
the old one. A code is 10 characters of an alphabet without look-alikes (no 0/o, 1/l/i),
shown as "xxxxx-xxxxx" and read back whatever the case, spaces or dashes.
"""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from idp import audit
from idp.accounts import mails
from idp.accounts.factors.models import RecoveryCode
from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db

COUNT = 10
LENGTH = 10  # about 49 bits each (31 symbols)
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_WELL_FORMED = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def normalise(code: str | None) -> str:
    """A code as typed, in the form it was made: lower case, no spaces nor dashes."""
    return re.sub(r"[\s\-]", "", code or "").lower()


def shown(code: str) -> str:
    """How a code is shown: two groups of five ("k7m2p-x9qwe")."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def _digest(account: Account, code: str) -> str:
    # The account id is part of what is digested: the same code of two accounts has two
    # digests, and a digest found in one account's rows says nothing of another's.
    return secret_digest(f"recovery:{account.id}:{code}")


def remaining(account: Account) -> int:
    """How many unused codes the account has left."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def is_enrolled(account: Account) -> bool:
    """The account has at least one unused code."""
    return remaining(account) > 0


def remove(account: Account) -> None:
    """Forget every code of the account (not committed)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account.id))


def generate(account: Account) -> list[str]:
    """A new set of codes, replacing the old one; returns them as shown to the person
    (the only time they exist in clear). Flushes; the caller audits, mails and commits."""
    remove(account)
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    now = utcnow()
    db.session.add_all(
        RecoveryCode(account_id=account.id, code_hash=_digest(account, code), created_at=now)
        for code in codes
    )
    db.session.flush()
    return [shown(code) for code in codes]


def use(account: Account, code: str) -> bool:
    """Spend one of the account's codes. When it was valid and unused: records
    factor.recovery_used, mails the person (both addresses: how many codes are left) and
    commits (the mail's queueing does); else changes nothing."""
    code = normalise(code)
    if _WELL_FORMED.fullmatch(code) is None:
        return False
    # One conditional UPDATE: of two requests with the same code, only one marks it.
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == _digest(account, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    left = remaining(account)
    audit.record("factor.recovery_used", account=account, remaining=left)
    mails.security_changed(account, used_change(left))
    return True


def used_change(left: int) -> str:
    """What the mail says changed when a code was used, `left` codes remaining."""
    if left == 0:
        return _("un code de secours a été utilisé, il ne vous en reste plus")
    return ngettext(
        "un code de secours a été utilisé, il vous en reste %(num)s",
        "un code de secours a été utilisé, il vous en reste %(num)s",
        left,
    )
