"""Second factors: which ones an account has, in the order the sign-in offers them.

One module per kind, each with `is_enrolled(account)` and `remove(account)`:
- passkeys.py    WebAuthn passkeys and security keys (also a sign-in without password)
- totp.py        authenticator-app codes (RFC 6238)
- recovery.py    single-use recovery codes (only offered alongside another factor)
- email_code.py  a 6-digit code by e-mail (where EMAIL_CODE_FACTOR is on)

What each kind adds to the ID token's `amr` (RFC 8176 and ProConnect values) is the table
of amr.py; the sign-in step that asks for them is idp/accounts/second_factor.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from idp import audit
from idp.accounts import mails
from idp.accounts.factors import email_code, passkeys, recovery, totp, trusted
from idp.accounts.factors.models import Passkey
from idp.accounts.models import Account
from idp.core.extensions import db

NAMES = {
    "passkey": _l("Clés d'accès"),
    "totp": _l("Application d'authentification"),
    "email": _l("Code par courriel"),
    "recovery": _l("Codes de secours"),
}
# The order the second-factor step offers them (passkey first, recovery code last).
KINDS = ("passkey", "totp", "email", "recovery")
_MODULES = {"passkey": passkeys, "totp": totp, "email": email_code, "recovery": recovery}


def enrolled(account: Account) -> list[str]:
    """The kinds of second factor `account` can use now, in the order they are offered.
    Recovery codes count only next to another factor (they are its spare key)."""
    kinds = [kind for kind in KINDS if kind != "recovery" and _MODULES[kind].is_enrolled(account)]
    if kinds and recovery.is_enrolled(account):
        kinds.append("recovery")
    return kinds


def has_second_factor(account: Account) -> bool:
    return bool(enrolled(account))


def summary(account: Account) -> list[tuple[str, str]]:
    """(name, detail) of each factor the account has, for people and administrators."""
    lines = []
    for kind in enrolled(account):
        detail = ""
        if kind == "passkey":
            count = db.session.scalar(
                sa.select(sa.func.count()).where(Passkey.account_id == account.id)
            )
            detail = ngettext("%(num)s clé", "%(num)s clés", count or 0)
        elif kind == "recovery":
            left = recovery.remaining(account)
            detail = ngettext("%(num)s code restant", "%(num)s codes restants", left)
        lines.append((str(NAMES[kind]), detail))
    return lines


def reset(account: Account, *, actor: Account | None, via: str) -> list[str]:
    """An administrator removes every factor of `account` (the person lost them): audited,
    mailed to the person, committed. Returns the kinds that were there."""
    kinds = remove_all(account)
    audit.record("admin.user.factors_reset", account=account, actor=actor, via=via, kinds=kinds)
    db.session.commit()
    if kinds:
        mails.security_changed(
            account, str(_l("méthodes de vérification réinitialisées par un administrateur"))
        )
    return kinds


def remove_all(account: Account) -> list[str]:
    """Remove every factor of `account` and forget its trusted browsers; returns the kinds
    that were there. Does not commit, audit nor mail (`reset` does)."""
    kinds = enrolled(account)
    for module in _MODULES.values():
        module.remove(account)
    trusted.forget(account)
    return kinds
