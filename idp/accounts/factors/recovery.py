"""(stub: being written)"""

from __future__ import annotations

from idp.accounts.models import Account


def is_enrolled(account: Account) -> bool:
    return False


def remove(account: Account) -> None:
    return None


def remaining(account: Account) -> int:
    return 0


def use(account: Account, code: str) -> bool:
    return False
