"""Who receives which account message. Knows nothing of Flask."""

from __future__ import annotations

# Messages that go to both addresses once a secondary e-mail is confirmed (seed 000); a
# sign-in code too, since either mailbox may be the one at hand; and the notice that
# someone tried to register with the account's address or NIR: the registration page
# told that person "we sent a mail to <the primary address>", so it must arrive there.
BOTH_ADDRESSES = frozenset(
    {
        "password_reset",
        "password_changed",
        "security_changed",
        "new_sign_in",
        "sign_in_code",
        "account_exists",
    }
)


def recipients_for(kind: str, primary: str, confirmed_secondary: str | None) -> list[str]:
    """Once a secondary e-mail is confirmed, every account message goes to it; password
    reset, password change, sign-in security changes, a sign-in from a new browser,
    sign-in codes and the account-existence notice go to both addresses."""
    if not confirmed_secondary:
        return [primary]
    if kind in BOTH_ADDRESSES:
        return [primary, confirmed_secondary]
    return [confirmed_secondary]


def typed_address_left_out(typed: str, notified: list[str]) -> bool:
    """After a registration that found an existing account (by its NIR, or by a race), the
    page says "we sent a mail to <the address typed>": True when that address is not among
    those the account-existence notice went to, so it must get a mail of its own."""
    return typed.strip().lower() not in {address.lower() for address in notified}
