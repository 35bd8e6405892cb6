"""Correcting the address typed at registration ("Modifier mon adresse" on the "check your
mailbox" page), in the same browser, while the registration waits for its confirmation.

After a registration the browser's session holds a random key (`remember`); its digest
names a row of `registration_draft` (the server-side store the wizard uses too) that
says either which pending account was created, or — when the address or NIR already had
an account — the registration as typed, its password only as the bcrypt hash computed
anyway. Correcting the address makes the registration again with the new address
(`change`): a pending account is deleted first (its link stops working), and whatever
the first address was, the new one gets the same mail a registration sends it. So the
answer tells nothing of whether either address has an account.

The invitation a registration came from is not carried over: it was for the first
address. Where to go after the first login is (the view keeps it).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from idp import audit
from idp.accounts import registration
from idp.accounts.models import Account, RegistrationDraft
from idp.accounts.services import normalise_email
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db

_KEPT = (
    "given_name",
    "family_name",
    "civility",
    "birth_name",
    "birthdate",
    "secondary_email",
    "phone",
    "mobile",
    "nir",
    "terms_version",
    "locale",
    "password_hash",
)


def _typed(data: registration.RegistrationData) -> dict[str, Any]:
    """What a registration made again needs, JSON-ready; never the password itself."""
    values = {name: value for name, value in asdict(data).items() if name in _KEPT}
    if isinstance(values.get("birthdate"), date):
        values["birthdate"] = values["birthdate"].isoformat()
    return values


def _of_account(account: Account) -> dict[str, Any]:
    """The same, read back from a pending account."""
    values = {name: getattr(account, name) for name in _KEPT}
    if isinstance(values.get("birthdate"), date):
        values["birthdate"] = values["birthdate"].isoformat()
    return values


def _content(outcome: registration.Submitted) -> dict[str, Any]:
    if outcome.account is not None:
        return {"email": outcome.email, "sub": outcome.account.sub}
    if outcome.data is not None and outcome.data.password_hash:
        return {"email": outcome.email, "typed": _typed(outcome.data)}
    return {"email": outcome.email}


def _row(key: str | None) -> RegistrationDraft | None:
    if not isinstance(key, str) or not key or len(key) > 100:
        return None
    row = db.session.get(RegistrationDraft, secret_digest(key))
    if row is None or row.expires_at <= utcnow() or "change" not in (row.data or {}):
        return None
    return row


def _store(row: RegistrationDraft, outcome: registration.Submitted, add: bool = False) -> None:
    content = {"change": _content(outcome)}  # first: it may load the account (autoflush)
    row.data = content
    # Lives as long as a confirmation link: past it, there is nothing left to correct.
    row.expires_at = utcnow() + timedelta(seconds=registration.max_age())
    if add:
        db.session.add(row)
    db.session.commit()


def remember(outcome: registration.Submitted) -> str:
    """Keep what correcting the address of this registration needs; returns the random
    key for the browser's session (the same work for a new and a known address)."""
    key = secrets.token_urlsafe(32)
    row = RegistrationDraft(key_hash=secret_digest(key), created_at=utcnow())
    _store(row, outcome, add=True)
    return key


def pending_email(key: str | None) -> str | None:
    """The address the registration behind `key` was last sent to; None when there is
    nothing left to correct (unknown or expired key)."""
    row = _row(key)
    return row.data["change"]["email"] if row is not None else None


def _pending_account(stored: dict[str, Any]) -> Account | None:
    sub = stored.get("sub")
    if not sub:
        return None
    account = db.session.scalar(db.select(Account).where(Account.sub == sub))
    if account is None or account.is_confirmed or account.email != stored.get("email"):
        return None
    return account


def change(key: str | None, new_email: str, next_url: str | None) -> registration.Submitted | None:
    """Make the registration behind `key` again with `new_email` (see the module
    docstring). None when it cannot be: unknown or expired key, or an account already
    confirmed (by its link: the address was right after all)."""
    row = _row(key)
    if row is None:
        return None
    stored = row.data["change"]
    account = _pending_account(stored)
    if account is not None:
        typed = _of_account(account)
        audit.record("registration.address_changed", account=None)
        db.session.delete(account)  # its confirmation link now names no account
        db.session.flush()
    elif stored.get("typed"):
        typed = dict(stored["typed"])
        audit.record("registration.address_changed", account=None)
    else:
        return None
    new_email = normalise_email(new_email)
    if typed.get("secondary_email") == new_email:
        typed["secondary_email"] = None  # now the primary address
    birthdate = typed.pop("birthdate", None)
    data = registration.RegistrationData(
        email=new_email,
        password="",
        birthdate=date.fromisoformat(birthdate) if birthdate else None,
        next_url=next_url,
        **typed,
    )
    outcome = registration.register(data)
    row = db.session.get(RegistrationDraft, secret_digest(key))  # register() committed
    if row is not None:
        _store(row, outcome)
    return outcome


def forget(key: str | None) -> None:
    """The registration is confirmed or abandoned: nothing left to correct (its row is one
    of registration_draft's, removed the same way as the wizard's). Commits."""
    registration.delete_draft(key)
