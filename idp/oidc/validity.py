"""The one definition of a usable token.

Every path that answers about a token reads this rule: the bearer validator (userinfo and
the APIs behind `require_oauth`), introspection, and the lean path of idp/oidc/lean, which
serves those endpoints without the ORM. A token is usable when it is not revoked, its
client is enabled, its person (if any) may sign in, and its own lifetime is not over;
a refresh token also stops being usable once rotated.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from idp.accounts.models import Account
from idp.oidc.models import Client, Token

ACCESS_TOKEN = "access_token"  # noqa: S105 - kinds, not secrets
REFRESH_TOKEN = "refresh_token"  # noqa: S105
KINDS = (ACCESS_TOKEN, REFRESH_TOKEN)


@dataclass(frozen=True, slots=True)
class TokenState:
    """What the rule reads about one token, whichever way it was loaded."""

    kind: str
    revoked: bool
    rotated: bool
    client_enabled: bool
    for_person: bool
    person_active: bool
    # The end of this kind's lifetime (Unix time); None: a refresh token without end.
    ends_at: int | None


def state_of(token: Token, client: Client | None, account: Account | None, kind: str) -> TokenState:
    """The state of a token row, its client and its account (None when gone)."""
    ends_at = token.refresh_expires_at if kind == REFRESH_TOKEN else token.get_expires_at()
    return TokenState(
        kind=kind,
        revoked=token.revoked_at is not None,
        rotated=token.rotated_at is not None,
        client_enabled=client is not None and not client.disabled,
        for_person=token.account_id is not None,
        person_active=account is not None and account.is_active,
        ends_at=ends_at,
    )


def is_usable(state: TokenState, now: float | None = None) -> bool:
    """True when the token may still be used (or reported active) right now."""
    now = time.time() if now is None else now
    if state.revoked or not state.client_enabled:
        return False
    if state.for_person and not state.person_active:
        return False
    if state.kind == REFRESH_TOKEN and state.rotated:
        return False
    return state.ends_at is None or state.ends_at >= now
