"""Registration, e-mail confirmation and terms acceptance: the domain rules.

No account enumeration: registering with an address (or a NIR) that already has an
account answers exactly like a new registration (a password is hashed anyway, a mail is
sent) but the mail goes to the owner of the existing account instead (both of its
addresses), and the address typed gets a mail too when it is not one of them: the page
says "we sent a mail to <the address typed>", and that stays true.

A secondary address given at registration gets its own confirmation link once the
primary address is confirmed: only then is the account real, and only a proven address
makes Compte write to a third one.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError

from idp import audit
from idp.accounts import links, mails, profile, return_address, signals
from idp.accounts.errors import LinkAlreadyUsed, LinkExpired, LinkInvalid
from idp.accounts.models import Account, RegistrationDraft, TermsAcceptance
from idp.accounts.passwords import hash_password
from idp.accounts.recipients import typed_address_left_out
from idp.accounts.services import create_account, find_by_email, normalise_email, stand_in
from idp.core.batches import batch_size, delete_limited, in_batches
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.core.signals import answers, first_answer
from idp.mail.models import OutboxMessage
from idp.mail.outbox import queue_prepared

log = logging.getLogger(__name__)
PURPOSE = "confirm"


@dataclass
class RegistrationData:
    """What the person typed (already validated by the form)."""

    email: str
    password: str
    given_name: str
    family_name: str
    civility: str | None = None
    birth_name: str | None = None
    birthdate: date | None = None
    secondary_email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    nir: str | None = None
    terms_version: str | None = None
    invitation_token: str | None = None
    locale: str | None = None
    next_url: str | None = None  # where to go after the first login (checked by safe_next)
    return_ref: str | None = None  # the exact address kept in the browser (return_address)
    # Instead of `password`: its bcrypt hash, when the registration is made again with
    # another address (idp/accounts/address_change.py); the password itself is never kept.
    password_hash: str | None = None


@dataclass
class Submitted:
    """What the "check your mailbox" page may say (`email`), identical for new and known
    addresses; and, for the server only (address_change.remember), the pending account
    created, or the registration as typed with its password hashed when none was."""

    email: str
    account: Account | None = None
    data: RegistrationData | None = None


@dataclass
class Confirmation:
    status: str  # "confirmed", "already", "expired", "invalid"
    account: Account | None = None
    next_url: str | None = None


def max_age() -> int:
    return int(current_app.config["CONFIRMATION_MAX_AGE"])


def is_expired(account: Account, now=None) -> bool:
    """An unconfirmed registration older than the link lifetime is cancelled."""
    if account.is_confirmed:
        return False
    return account.created_at + timedelta(seconds=max_age()) < (now or utcnow())


def services_opened(account: Account | None = None) -> list[Any]:
    """The services the account opens (name + description), for the mail."""
    return [entry for found in answers(signals.services_opened, account=account) for entry in found]


def _link_max() -> int:
    # SMTP refuses lines over 998 characters (RFC 5321) and the HTML mail shows the link
    # twice on one line: a longer link would make the mail undeliverable.
    return int(current_app.config["CONFIRMATION_LINK_MAX_LENGTH"])


def confirmation_token(
    account: Account,
    invitation_token: str | None = None,
    next_url: str | None = None,
    return_ref: str | None = None,
) -> str:
    """The signed link payload, with the way back (idp/accounts/return_address.py): the
    reference of the exact address kept in the browser, and `next` whole when the link stays
    short enough, else its service's home page, else nothing."""
    data = {"s": account.sub, "e": account.email}
    if invitation_token:
        data["i"] = invitation_token

    def fits(payload: dict) -> bool:
        token = links.make_token(PURPOSE, payload)
        return len(mails.confirmation_link(token)) <= _link_max()

    return links.make_token(PURPOSE, return_address.link_payload(data, next_url, return_ref, fits))


def send_confirmation(
    account: Account,
    invitation_token: str | None = None,
    next_url: str | None = None,
    *,
    return_ref: str | None = None,
    send: bool = True,
) -> OutboxMessage:
    """Mail the confirmation link (with `send=False`: only prepare the mail)."""
    token = confirmation_token(account, invitation_token, next_url, return_ref)
    return mails.confirmation(
        account, token, services=services_opened(account), max_age=max_age(), send=send
    )


def _drop_if_expired(account: Account | None) -> Account | None:
    """An expired, unconfirmed registration is replaced by the new one."""
    if account is not None and is_expired(account):
        audit.record("registration.expired_replaced", account=None, email_domain=_domain(account))
        db.session.delete(account)
        db.session.flush()
        return None
    return account


def _domain(account: Account) -> str:
    return account.email.rsplit("@", 1)[-1]


def _duplicate(existing: Account, data: RegistrationData, reason: str) -> Submitted:
    # Same cost as a real registration: hash the password anyway (the hash is kept in case
    # the person corrects the address typed), then mail the owner.
    if data.password_hash is None:
        data.password_hash = hash_password(data.password, current_app.config["BCRYPT_ROUNDS"])
    audit.record("registration.duplicate_attempt", account=existing, reason=reason)
    db.session.commit()
    # Tell the owner; a still pending one most likely lost the first mail: a fresh link.
    token = (
        None
        if existing.is_confirmed
        else confirmation_token(existing, next_url=data.next_url, return_ref=data.return_ref)
    )
    notice = mails.account_exists(
        existing, reason, token, services=services_opened(existing), max_age=max_age()
    )
    email = normalise_email(data.email)
    if typed_address_left_out(email, notice.recipients):
        mails.registration_not_created(email, reason)
    return Submitted(email=email, data=data)


def register(data: RegistrationData) -> Submitted:
    """Create a pending account and mail its confirmation link (see module docstring)."""
    email = normalise_email(data.email)
    existing = _drop_if_expired(find_by_email(email))
    if existing is not None:
        return _duplicate(existing, data, "email")
    if data.nir:
        nir_owner = db.session.scalar(db.select(Account).where(Account.nir == data.nir))
        nir_owner = _drop_if_expired(nir_owner)
        if nir_owner is not None:
            return _duplicate(nir_owner, data, "nir")
    account = create_account(
        email=email,
        password=data.password,
        password_hash=data.password_hash,
        given_name=data.given_name,
        family_name=data.family_name,
        civility=data.civility,
        birth_name=data.birth_name,
        birthdate=data.birthdate,
        secondary_email=data.secondary_email,
        phone=data.phone,
        mobile=data.mobile,
        nir=data.nir,
        terms_version=data.terms_version,
    )
    account.locale = data.locale
    try:
        db.session.flush()
    except IntegrityError:
        # A parallel registration took the address or NIR between our check and insert.
        db.session.rollback()
        existing = find_by_email(email)
        if existing is None and data.nir:
            existing = db.session.scalar(db.select(Account).where(Account.nir == data.nir))
        if existing is None:
            raise
        return _duplicate(existing, data, "email" if existing.email == email else "nir")
    if data.terms_version:
        db.session.add(TermsAcceptance(account_id=account.id, version=data.terms_version))
    audit.record("account.registered", account=account, nir=bool(data.nir))
    db.session.commit()
    send_confirmation(account, data.invitation_token, data.next_url, return_ref=data.return_ref)
    return Submitted(email=email, account=account)


def resend(email: str, next_url: str | None = None, return_ref: str | None = None) -> bool:
    """Send the confirmation link again when a registration is pending for `email`.

    Answers nothing about the address (the caller shows the same page in every case).
    Returns whether a mail was queued.
    """
    account = find_by_email(email)
    pending = account is not None and not account.is_confirmed
    if pending and is_expired(account):
        db.session.delete(account)
        pending = False
    # The same work whether a registration is pending or not (no enumeration by timing):
    # the mail is prepared with a stand-in, never stored, when there is nothing to send.
    target = account if pending else stand_in(email)
    message = send_confirmation(target, next_url=next_url, return_ref=return_ref, send=False)
    if not pending:
        audit.record("registration.confirmation_resent", account=None, known=False)
        db.session.commit()
        return False
    audit.record("registration.confirmation_resent", account=account)  # with the mail
    queue_prepared(message)
    return True


def _account_for(data: dict[str, Any]) -> Account | None:
    account = db.session.scalar(db.select(Account).where(Account.sub == data.get("s")))
    if account is None or account.email != data.get("e"):
        return None
    return account


def confirm(token: str) -> Confirmation:
    """Confirm the address behind a link; the link works once and expires."""
    try:
        data = links.read_token(PURPOSE, token, max_age())
    except LinkAlreadyUsed:
        data = _peek(token)
        return Confirmation("already", _account_for(data) if data else None)
    except LinkExpired:
        return _expired(token)
    except LinkInvalid:
        return Confirmation("invalid")
    account = _account_for(data)
    if account is None:
        return Confirmation("invalid")
    if account.is_confirmed:
        return Confirmation("already", account)
    try:
        links.consume_token(PURPOSE, token, max_age())
    except LinkAlreadyUsed:
        return Confirmation("already")
    account.email_confirmed_at = utcnow()
    audit.record("account.confirmed", account=account)
    db.session.commit()
    if account.secondary_email and account.confirmed_secondary_email is None:
        profile.send_secondary_link(account)  # given at registration: its own link now
    # The invited service first; else where the person was going when they registered:
    # the exact address when this browser kept it, else what the link carries (checked
    # again: the launcher's origins may have changed since the mail was sent).
    landing = (
        first_answer(
            signals.landing_after_confirmation, account=account, invitation_token=data.get("i")
        )
        if data.get("i")
        else None
    )
    next_url = landing or return_address.from_link(data, max_age())
    return Confirmation("confirmed", account, next_url)


def _peek(token: str) -> dict[str, Any] | None:
    """Only used to name the account behind an expired or used link."""
    return links.peek_token(PURPOSE, token)


def _expired(token: str) -> Confirmation:
    """An expired link: the pending registration is cancelled (deleted)."""
    data = _peek(token)
    if data is None:
        return Confirmation("expired")
    account = _account_for(data)
    if account is not None and account.is_confirmed:
        return Confirmation("already", account)
    if account is not None:
        audit.record("registration.expired", account=None, email_domain=_domain(account))
        db.session.delete(account)
        db.session.commit()
    return Confirmation("expired")


def accept_terms(account: Account, version: str) -> None:
    """Record that `account` accepted terms `version` now (the caller commits)."""
    now = utcnow()
    account.terms_version = version
    account.terms_accepted_at = now
    db.session.add(TermsAcceptance(account_id=account.id, version=version, accepted_at=now))
    audit.record("terms.accepted", account=account, version=version)


def purge_expired(now=None) -> int:
    """Delete unconfirmed registrations older than the confirmation link lifetime, a batch
    of accounts per transaction (commits)."""
    cutoff = (now or utcnow()) - timedelta(seconds=max_age())
    stale = db.and_(Account.email_confirmed_at.is_(None), Account.created_at < cutoff)

    def delete(ids: list) -> int:
        found = db.session.scalars(db.select(Account).where(Account.id.in_(ids), stale)).all()
        for account in found:
            db.session.delete(account)  # through the ORM: its dependent rows go with it
        return len(found)

    return in_batches(Account, stale, delete, batch_size())


# --- the wizard's draft, kept on the server ------------------------------------------
# Flask's session cookie is signed, not encrypted: the names, e-mail and NIR typed in the
# wizard stay in the database and the cookie only carries a random key.


def draft_max_age() -> int:
    return int(current_app.config["REGISTRATION_DRAFT_MAX_AGE"])


def _live_draft(key: str | None, now) -> RegistrationDraft | None:
    if not isinstance(key, str) or not key or len(key) > 100:
        return None
    draft = db.session.get(RegistrationDraft, secret_digest(key))
    if draft is None or draft.expires_at <= now:
        return None
    return draft


def load_draft(key: str | None) -> dict[str, Any] | None:
    """The wizard's data saved under `key`; None when there is none or it has expired."""
    draft = _live_draft(key, utcnow())
    return dict(draft.data) if draft is not None else None


def save_draft(key: str | None, data: dict[str, Any]) -> str:
    """Save `data` under `key` (under a new random key when there is no live draft);
    each save gives the draft a full lifetime again. Commits; returns the key."""
    if any("password" in name for name in data):
        raise ValueError("a registration draft never holds a password")
    now = utcnow()
    draft = _live_draft(key, now)
    if draft is None:
        key = secrets.token_urlsafe(32)
        draft = RegistrationDraft(key_hash=secret_digest(key), created_at=now)
        db.session.add(draft)
    draft.data = dict(data)  # a new object, so that SQLAlchemy sees the change
    draft.expires_at = now + timedelta(seconds=draft_max_age())
    db.session.commit()
    return key


def delete_draft(key: str | None) -> None:
    """Forget the draft (wizard completed or cancelled). Commits."""
    if isinstance(key, str) and key:
        db.session.execute(
            db.delete(RegistrationDraft).where(RegistrationDraft.key_hash == secret_digest(key))
        )
        db.session.commit()


def purge_expired_drafts(now=None) -> int:
    """Delete wizard drafts past their lifetime, in batches (commits)."""
    expired = RegistrationDraft.expires_at <= (now or utcnow())
    return delete_limited(RegistrationDraft, RegistrationDraft.key_hash, expired, batch_size())
