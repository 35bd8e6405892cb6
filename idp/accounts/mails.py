"""The catalogue of account mails: one function per kind of mail.

Each knows its template (`templates/mail/<kind>.txt`, and `.html`), its subject, its
recipients (the rule of recipients.py: once a secondary address is confirmed, which
mails also or only go there) and the link it carries, and queues the mail through the
outbox (idp.mail.outbox), which commits. The flows (registration.py, profile.py, the
admin's invitations and account actions) own the links' tokens and lifetimes, and only
say which mail goes to which account.

Flows that must not tell whether an address has an account prepare the same mail for a
stand-in (`send=False`: rendered and sealed, never stored) and queue it only for a real
account (idp.mail.outbox.queue_prepared): the same work either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from idp.accounts.models import Account
from idp.accounts.recipients import recipients_for
from idp.accounts.services import find_by_email
from idp.core import dates
from idp.core.urls import external_url
from idp.mail.models import OutboxMessage
from idp.mail.outbox import prepare_mail, queue_prepared


def human_duration(seconds: int) -> str:
    """Readable lifetime: 259200 -> "72 heures", 1296000 -> "15 jours"."""
    days, hours, minutes = seconds // 86400, seconds // 3600, seconds // 60
    if seconds % 86400 == 0 and days > 3:
        return ngettext("%(num)s jour", "%(num)s jours", days)
    if seconds % 3600 == 0 and hours:
        return ngettext("%(num)s heure", "%(num)s heures", hours)
    if minutes:
        return ngettext("%(num)s minute", "%(num)s minutes", minutes)
    return ngettext("%(num)s seconde", "%(num)s secondes", seconds)


def confirmation_link(token: str) -> str:
    """The address of a registration confirmation link (also measured by registration.py,
    which keeps it short enough for SMTP)."""
    return external_url("accounts.register_confirm", token=token)


def password_reset_link(token: str) -> str:
    """The address of a password-reset link (also measured by profile.py, which keeps it
    short enough for SMTP)."""
    return external_url("accounts.password_reset", token=token)


def _mail(
    kind: str, recipients: list[str], subject: str, send: bool, **context: Any
) -> OutboxMessage:
    message = prepare_mail(recipients, subject, kind, **context)
    return queue_prepared(message) if send else message


def _to(kind: str, account: Account) -> list[str]:
    return recipients_for(kind, account.email, account.confirmed_secondary_email)


def _registration_context(account: Account, services: list[Any], max_age: int) -> dict:
    """What the registration mails say: who, the services opened, support, lifetime."""
    cfg = current_app.config
    return {
        "account": account,
        "given_name": account.given_name,
        "email": account.email,
        "validity": human_duration(max_age),
        "services": services,
        "organisation": cfg["ORGANISATION_NAME"],
        "service_name": cfg["SERVICE_NAME"],
        "support_phone": cfg["SUPPORT_PHONE"],
        "support_hours": cfg["SUPPORT_HOURS"],
        "support_email": cfg["SUPPORT_EMAIL"],
        "login_url": external_url("accounts.login", identifier=account.email),
        "register_url": external_url("accounts.register"),
    }


# --- Registration ---------------------------------------------------------------------


def confirmation(
    account: Account, token: str, *, services: list[Any], max_age: int, send: bool = True
) -> OutboxMessage:
    """The link that confirms a registration, valid `max_age` seconds, with the
    `services` the account opens (name and description). To the primary address only:
    it is the address being confirmed."""
    context = _registration_context(account, services, max_age)
    context["confirm_url"] = confirmation_link(token)
    return _mail(
        "registration_confirm",
        recipients_for("registration_confirm", account.email, None),
        _("Confirmez la création de votre compte %(service)s", service=context["service_name"]),
        send,
        **context,
    )


def account_exists(
    account: Account,
    reason: str,
    token: str | None,
    *,
    services: list[Any],
    max_age: int,
) -> OutboxMessage:
    """Someone tried to register with the address or NIR (`reason`) of `account`; a
    still pending account gets a fresh confirmation link (`token`)."""
    context = _registration_context(account, services, max_age)
    context["reason"] = reason
    if token is not None:
        context["confirm_url"] = confirmation_link(token)
    return _mail(
        "account_exists",
        _to("account_exists", account),
        _("Tentative de création de compte avec votre adresse"),
        True,
        **context,
    )


def registration_not_created(email: str, reason: str, *, send: bool = True) -> OutboxMessage:
    """A registration typed with `email` found an account that `email` is not an address
    of (its NIR, `reason`, is that account's): to `email`, so that what the page said ("we
    sent a mail to…") is true. It names neither the account nor its addresses."""
    cfg = current_app.config
    return _mail(
        "registration_not_created",
        [email],
        _("Votre demande de création de compte %(service)s", service=cfg["SERVICE_NAME"]),
        send,
        email=email,
        reason=reason,
        organisation=cfg["ORGANISATION_NAME"],
        service_name=cfg["SERVICE_NAME"],
        support_phone=cfg["SUPPORT_PHONE"],
        support_hours=cfg["SUPPORT_HOURS"],
        support_email=cfg["SUPPORT_EMAIL"],
        login_url=external_url("accounts.login"),
    )


# --- Passwords ------------------------------------------------------------------------


def password_reset(
    account: Account, token: str, *, max_age: int, send: bool = True
) -> OutboxMessage:
    """The link to choose a new password, valid `max_age` seconds (both addresses)."""
    return _mail(
        "password_reset",
        _to("password_reset", account),
        _("Réinitialisation de votre mot de passe"),
        send,
        account=account,
        reset_url=password_reset_link(token),
        validity_minutes=max_age // 60,
        login_url=external_url("accounts.login", identifier=account.email),
    )


def password_changed(account: Account) -> OutboxMessage:
    """The password was changed or reset (both addresses)."""
    return _mail(
        "password_changed",
        _to("password_changed", account),
        _("Votre mot de passe a été changé"),
        True,
        account=account,
    )


def security_changed(account: Account, change: str) -> OutboxMessage:
    """How the account signs in changed (`change` says what, in words: a passkey added,
    the authenticator app removed, a recovery code used, factors reset by an
    administrator…): to both addresses, with a link to the security page."""
    return _mail(
        "security_changed",
        _to("security_changed", account),
        _("Sécurité de votre compte : %(change)s", change=change),
        True,
        account=account,
        change=change,
        security_url=external_url("accounts.security"),
    )


def new_sign_in(
    account: Account, *, when: datetime, device: str, place: str | None
) -> OutboxMessage:
    """A sign-in from a browser the account had never used (idp/accounts/devices.py): when
    (in words, in TIME_ZONE), the browser and system, the approximate place if known, and a
    link to the sessions page where that browser can be signed out (both addresses)."""
    return _mail(
        "new_sign_in",
        _to("new_sign_in", account),
        _("Nouvelle connexion à votre compte"),
        True,
        account=account,
        when=dates.when(when),
        device=device,
        place=place,
        sessions_url=external_url("accounts.sessions"),
    )


def sign_in_code(account: Account, code: str, *, lifetime: int) -> OutboxMessage:
    """A sign-in code (the second factor by e-mail), valid `lifetime` seconds: to both
    addresses, as a password reset link is (either mailbox may be the one at hand)."""
    return _mail(
        "sign_in_code",
        _to("sign_in_code", account),
        # Not in the subject: the outbox keeps subjects in clear, bodies only sealed.
        _("Votre code de connexion à %(service)s", service=current_app.config["SERVICE_NAME"]),
        True,
        account=account,
        code=code,
        validity=human_duration(lifetime),
    )


# --- Secondary e-mail -----------------------------------------------------------------


def secondary_confirmation(
    account: Account, email: str, token: str, *, max_age: int
) -> OutboxMessage:
    """The link that confirms `email` as the secondary address, valid `max_age` seconds:
    to THAT address, since following it proves the person reads it."""
    return _mail(
        "secondary_confirm",
        [email],
        _("Confirmez votre courriel secondaire"),
        True,
        account=account,
        secondary_email=email,
        confirm_url=external_url("accounts.secondary_confirm", token=token),
        validity_hours=max_age // 3600,
    )


# --- Invitations ----------------------------------------------------------------------


def invitation(
    invitation: Any, service: Any | None, link: str, *, still_asked: list[str] | None = None
) -> OutboxMessage:
    """An invitation to a service (idp/admin/invitations.py): to the invited address,
    with the invitation's `link`; `service` (name, url, description) may be unknown. To a
    newcomer it lists `still_asked`: what the registration form will still ask."""
    name = service.name if service else invitation.client_id
    has_account = find_by_email(invitation.email) is not None
    return _mail(
        "invitation",
        [invitation.email],
        _("Invitation : accédez à %(service)s", service=name),
        True,
        invitation=invitation,
        service=service,
        service_name=name,
        link=link,
        has_account=has_account,
        still_asked=[] if has_account else (still_asked or []),
    )
