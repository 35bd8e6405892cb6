"""Core account services: create an account, set its password (with history)."""

from __future__ import annotations

from datetime import date

from flask import current_app

from idp.accounts.errors import EmailTaken, NirTaken, PasswordReused
from idp.accounts.models import Account, PasswordHistory
from idp.accounts.passwords import hash_password, verify_password
from idp.core.clock import utcnow
from idp.core.extensions import db


def normalise_email(value: str) -> str:
    return value.strip().lower()


def find_by_email(email: str) -> Account | None:
    return db.session.scalar(db.select(Account).where(Account.email == normalise_email(email)))


def stand_in(email: str) -> Account:
    """An account that does not exist, to do for an unknown address the same work as for a
    real one (no enumeration by timing). Never stored."""
    return Account(id=0, sub="", email=normalise_email(email), given_name="", session_epoch=0)


def password_was_used(account: Account, password: str) -> bool:
    """True when `password` matches any password the account ever had."""
    return any(verify_password(password, old.password_hash) for old in account.password_history)


def set_password(account: Account, password: str) -> None:
    """Set a new password; refuses any password the account ever had. The caller
    checks the policy first and commits."""
    if account.id is not None and password_was_used(account, password):
        raise PasswordReused("Ce mot de passe a déjà été utilisé pour ce compte.")
    account.password_hash = hash_password(password, current_app.config["BCRYPT_ROUNDS"])
    account.password_changed_at = utcnow()
    account.password_history.append(PasswordHistory(password_hash=account.password_hash))


def create_account(
    *,
    email: str,
    password: str | None,
    given_name: str,
    family_name: str,
    confirmed: bool = False,
    civility: str | None = None,
    birth_name: str | None = None,
    birthdate: date | None = None,
    secondary_email: str | None = None,
    phone: str | None = None,
    mobile: str | None = None,
    nir: str | None = None,
    terms_version: str | None = None,
    password_hash: str | None = None,
) -> Account:
    """Create an account (not committed). Raises EmailTaken / NirTaken. `password_hash`
    instead of `password`: a registration made again with a corrected address."""
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise EmailTaken("Un compte existe déjà avec cette adresse.")
    if nir and db.session.scalar(db.select(Account.id).where(Account.nir == nir)):
        raise NirTaken("Un compte existe déjà avec ce numéro de sécurité sociale.")
    now = utcnow()
    account = Account(
        email=email,
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        civility=civility,
        birth_name=(birth_name or "").strip() or None,
        birthdate=birthdate,
        secondary_email=normalise_email(secondary_email) if secondary_email else None,
        phone=phone or None,
        mobile=mobile or None,
        nir=nir or None,
        email_confirmed_at=now if confirmed else None,
        terms_version=terms_version,
        terms_accepted_at=now if terms_version else None,
        password_hash="",
    )
    if password_hash is not None:
        account.password_hash = password_hash
        account.password_changed_at = now
        account.password_history.append(PasswordHistory(password_hash=password_hash))
    else:
        set_password(account, password or "")
    db.session.add(account)
    return account
