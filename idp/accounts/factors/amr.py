"""What a sign-in's `amr` says of each way of proving who one is: the one table.

Two vocabularies side by side, so that every relying party finds the values it reads:
- RFC 8176 (Authentication Method Reference Values), what Compte's relying parties have
  read so far: `pwd`, `otp`, `mail`, `swk`, `hwk`, `user`, `mfa`;
- ProConnect's (its resources/claim_amr.md): `pwd`, `mail`, `totp` (authenticator app),
  `pop` (passkey or agent card), `mfa` (two factors).

A method adds its values in the table's order, RFC 8176 first. Values of one factor are
aliases of each other and count once when `idp.accounts.second_factor.combine` decides
whether two *different* factors were used (`mfa`): `otp` + `totp` is ONE factor.
"""

from __future__ import annotations

MFA = "mfa"  # both vocabularies: two different factors were used

# What each method adds: RFC 8176's value, then ProConnect's when it names it otherwise.
METHODS: dict[str, tuple[str, ...]] = {
    "password": ("pwd",),  # both vocabularies
    "totp": ("otp", "totp"),  # authenticator app: RFC 8176 otp, ProConnect totp
    "recovery": ("otp",),  # a one-time recovery code (ProConnect has no name for it)
    "email": ("mail",),  # a code or link sent by e-mail: both vocabularies
    "passkey_synced": ("swk", "pop"),  # backed-up passkey: RFC 8176 swk, ProConnect pop
    "passkey_device": ("hwk", "pop"),  # passkey bound to one device: hwk, ProConnect pop
    "user_verified": ("user",),  # RFC 8176: the authenticator checked the person (UV)
}

# The factor each value proves: aliases (ProConnect's beside RFC 8176's) share one. A
# passkey, synced or not, is one possession factor; its user verification is another.
FACTOR_OF: dict[str, str] = {
    "pwd": "password",
    "otp": "one-time code",
    "totp": "one-time code",
    "mail": "mailbox",
    "swk": "passkey",
    "hwk": "passkey",
    "pop": "passkey",
    "user": "user verification",
}


def values(*methods: str) -> list[str]:
    """The `amr` values of these methods (keys of METHODS), in order, each once."""
    return list(dict.fromkeys(value for method in methods for value in METHODS[method]))


def factors(amr: list[str]) -> set[str]:
    """The different factors `amr` names (a value not in the table is a factor of its own;
    "mfa" is none)."""
    return {FACTOR_OF.get(value, value) for value in amr if value != MFA}
