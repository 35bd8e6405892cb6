"""Profile services: identity, password change and reset, secondary e-mail.

Each function changes the account, audits, commits, and mails through the outbox (so a
mail is never lost); the views only translate outcomes into pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from idp import audit
from idp.accounts import links, mails, policy, pwned, return_address
from idp.accounts.errors import (
    AccountError,
    InvalidCredentials,
    LinkAlreadyUsed,
    LinkInvalid,
    PasswordRejected,
)
from idp.accounts.models import Account
from idp.accounts.passwords import verify_password
from idp.accounts.services import find_by_email, normalise_email, set_password, stand_in
from idp.accounts.sessions import end_sessions
from idp.accounts.throttle import LoginThrottle
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.mail.models import OutboxMessage
from idp.mail.outbox import queue_prepared

RESET = "reset"
SECONDARY = "secondary"
IDENTITY_FIELDS = (
    "civility",
    "given_name",
    "family_name",
    "usual_name",
    "birth_name",
    "birthdate",
    "phone",
    "mobile",
    "address",
)


# --- Identity -------------------------------------------------------------------------


def update_identity(account: Account, values: dict[str, Any]) -> list[str]:
    """Apply the identity fields; returns the names of those that changed (audited)."""
    changed = []
    for name in IDENTITY_FIELDS:
        value = values.get(name)
        value = value if value not in ("",) else None
        if getattr(account, name) != value:
            setattr(account, name, value)
            changed.append(name)
    if changed:
        audit.record("profile.updated", account=account, fields=changed)
    db.session.commit()
    return changed


# --- Passwords ------------------------------------------------------------------------


def check_policy(account: Account, password: str) -> None:
    """Raises PasswordRejected with the (translated) messages of the rules not met."""
    messages = policy.check(
        password,
        policy=current_app.config["PASSWORD_POLICY"],
        given_name=account.given_name or "",
        family_name=account.family_name or "",
        birth_name=account.birth_name or "",
        breached=pwned.checker(),
    )
    if messages:
        raise PasswordRejected([_(m) for m in messages])


def _apply_new_password(account: Account, password: str) -> None:
    """Policy, then history (PasswordReused); a new session epoch (the callers end the
    sessions once the password is committed)."""
    check_policy(account, password)
    set_password(account, password)
    account.session_epoch += 1
    LoginThrottle.of_account(account).forget()


def change_password(
    account: Account, current: str, new: str, keep_sid: str | None = None
) -> OutboxMessage:
    """Change the password of a logged-in person: every session of the account ends
    except `keep_sid` (theirs, which the caller re-opens under the new epoch)."""
    if not verify_password(current, account.password_hash):
        audit.record("password.change_failed", account=account, reason="wrong_current")
        db.session.commit()
        raise InvalidCredentials(_("Le mot de passe actuel n'est pas le bon."))
    _apply_new_password(account, new)
    audit.record("password.changed", account=account)
    db.session.commit()
    end_sessions(account, "password_changed", keep_sid=keep_sid)
    return mails.password_changed(account)


def request_reset(
    email: str, next_url: str | None = None, return_ref: str | None = None
) -> OutboxMessage | None:
    """Mail a reset link when an account has this address; silent otherwise (no
    enumeration: the person is always shown the same answer, after the same work — the
    mail is prepared either way, and only stored and sent for an account). Returns the
    queued message (None when no account), for callers that may tell the outcome.
    `next_url` and `return_ref`: the way back to the service the person came from
    (idp/accounts/return_address.py), in the link as in a confirmation link."""
    account = find_by_email(email)
    target = account or stand_in(email)  # its mail is never sent

    # The epoch in the link: a change of password makes older links useless.
    def fits(payload: dict) -> bool:
        link = mails.password_reset_link(links.make_token(RESET, payload))
        return len(link) <= int(current_app.config["CONFIRMATION_LINK_MAX_LENGTH"])

    data = {"a": target.id, "e": target.session_epoch}
    token = links.make_token(RESET, return_address.link_payload(data, next_url, return_ref, fits))
    max_age = int(current_app.config["RESET_MAX_AGE"])
    message = mails.password_reset(target, token, max_age=max_age, send=False)
    if account is None:
        audit.record("password.reset_requested", account=None, known=False)
        db.session.commit()
        return None
    audit.record("password.reset_requested", account=account)  # committed with the mail
    return queue_prepared(message)


def way_back_after_reset(token: str) -> str | None:
    """Where a genuine reset link sends the person after signing in (the service they
    came from), or None."""
    data = links.peek_token(RESET, token) or {}
    return return_address.from_link(data, int(current_app.config["RESET_MAX_AGE"]))


def account_for_reset(token: str) -> Account:
    """The account a reset link is for; raises LinkExpired / LinkInvalid / LinkAlreadyUsed."""
    data = links.read_token(RESET, token, int(current_app.config["RESET_MAX_AGE"]))
    account = db.session.get(Account, data.get("a"))
    if account is None:
        raise LinkInvalid(_("Ce lien n'est pas valide."))
    if account.session_epoch != data.get("e"):
        # The password was changed since the link was sent.
        raise LinkAlreadyUsed(_("Ce lien a déjà été utilisé."))
    return account


def reset_password(token: str, new: str) -> Account:
    """Set the new password from a reset link (once); every session of the account ends.
    The link went to the primary address, so a still pending address is confirmed too."""
    account = account_for_reset(token)
    _apply_new_password(account, new)
    links.consume_token(RESET, token, int(current_app.config["RESET_MAX_AGE"]))
    was_pending = account.email_confirmed_at is None
    if was_pending:
        account.email_confirmed_at = utcnow()
    audit.record("password.reset", account=account)
    db.session.commit()
    end_sessions(account, "password_changed")
    mails.password_changed(account)
    if was_pending:
        send_secondary_link(account)  # as confirming the registration would have
    return account


# --- Secondary e-mail -----------------------------------------------------------------


class SecondaryRejected(AccountError):
    """The secondary address cannot be used (same as the primary one)."""


@dataclass(frozen=True)
class SecondaryResult:
    email: str


def set_secondary(account: Account, email: str, password: str) -> SecondaryResult:
    """Add or replace the secondary address (unconfirmed until its link is followed).
    Asks the password: the secondary address receives reset links."""
    if not verify_password(password, account.password_hash):
        raise InvalidCredentials(_("Le mot de passe n'est pas le bon."))
    email = normalise_email(email)
    if email == account.email:
        raise SecondaryRejected(
            _("Le courriel secondaire doit être différent du courriel principal.")
        )
    account.secondary_email = email
    account.secondary_email_confirmed_at = None
    audit.record("email.secondary_added", account=account)
    db.session.commit()
    send_secondary_link(account)
    return SecondaryResult(email)


def send_secondary_link(account: Account) -> OutboxMessage | None:
    """Mail the link that confirms the account's (still unconfirmed) secondary address, to
    that address: when it is added or replaced, when the registration that gave it is
    confirmed, and again when the person asks. None when there is nothing to confirm."""
    email = account.secondary_email
    if not email or account.secondary_email_confirmed_at is not None:
        return None
    token = links.make_token(SECONDARY, {"a": account.id, "m": email})
    return mails.secondary_confirmation(account, email, token, max_age=_secondary_max_age())


def _secondary_max_age() -> int:
    return int(current_app.config["SECONDARY_EMAIL_MAX_AGE"])


def confirm_secondary(token: str) -> Account:
    """Confirm the secondary address of a link (once). A link for an address since
    replaced is refused."""
    max_age = _secondary_max_age()
    data = links.read_token(SECONDARY, token, max_age)
    account = db.session.get(Account, data.get("a"))
    if account is None or account.secondary_email != data.get("m"):
        raise LinkInvalid(_("Ce lien ne correspond plus à votre courriel secondaire."))
    links.consume_token(SECONDARY, token, max_age)
    account.secondary_email_confirmed_at = utcnow()
    audit.record("email.secondary_confirmed", account=account)
    db.session.commit()
    return account


def remove_secondary(account: Account) -> None:
    if account.secondary_email is None:
        return
    account.secondary_email = None
    account.secondary_email_confirmed_at = None
    audit.record("email.secondary_removed", account=account)
    db.session.commit()
