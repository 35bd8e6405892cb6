"""Who receives which account message. Knows nothing of Flask."""

from __future__ import annotations

# Messages that go to both addresses once a secondary e-mail is confirmed (seed 000); a
# sign-in code too, since either mailbox may be the one at hand.
BOTH_ADDRESSES = frozenset(
    {"password_reset", "password_changed", "security_changed", "new_sign_in", "sign_in_code"}
)


def recipients_for(kind: str, primary: str, confirmed_secondary: str | None) -> list[str]:
    """Once a secondary e-mail is confirmed, every account message goes to it; password
    reset, password change, sign-in security changes, a sign-in from a new browser and
    sign-in codes go to both addresses."""
    if not confirmed_secondary:
        return [primary]
    if kind in BOTH_ADDRESSES:
        return [primary, confirmed_secondary]
    return [confirmed_secondary]
