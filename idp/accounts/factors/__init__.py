"""Second factors: which ones an account has, in the order the sign-in offers them.

One module per kind, each with `is_enrolled(account)` and `remove(account)`:
- passkeys.py    WebAuthn passkeys and security keys (also a sign-in without password)
- totp.py        authenticator-app codes (RFC 6238)
- recovery.py    single-use recovery codes (only offered alongside another factor)
- email_code.py  a 6-digit code by e-mail (where EMAIL_CODE_FACTOR is on)

What each kind adds to the ID token's `amr` (RFC 8176) is `AMR` below; the sign-in step
that asks for them is idp/accounts/second_factor.py.
"""

from __future__ import annotations

from idp.accounts.factors import email_code, passkeys, recovery, totp, trusted
from idp.accounts.models import Account

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


def remove_all(account: Account) -> list[str]:
    """Remove every factor of `account` (an administrator's reset); returns the kinds that
    were there. Does not commit, audit nor mail (the caller does: idp/accounts/security.py)."""
    kinds = enrolled(account)
    for module in _MODULES.values():
        module.remove(account)
    trusted.forget(account)
    return kinds
