"""Invitations: an organisation invites a person to one of its services (seed 000, step 1).

Contract used by registration and login:
- prefill_from_request(args) -> dict | None: initial registration data from an
  invitation token in the query string (keys: email, civility, given_name, family_name,
  email_locked: bool, invitation_token, service_name).
- landing_url_after_confirmation(account, invitation_token) -> str | None: where to send
  the person once their account is confirmed (the invited service), or None.

The link's token is random (256 bits) and only its SHA-256 is stored, like client secrets:
a database leak gives no usable link. Re-sending makes a new token (the old link stops
working). Callers commit, except `invite` and `resend`, which commit before mailing (the
outbox commits anyway).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import gettext as _

from idp import audit
from idp.accounts import mails
from idp.accounts.forms.names import name_problem, tidy_name
from idp.accounts.forms.remaining import still_asked
from idp.accounts.models import Account
from idp.accounts.services import normalise_email
from idp.admin.models import Invitation
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.launcher.services import entry_for_client
from idp.oidc.models import Client

CIVILITIES = ("mme", "m")


class InvitationError(ValueError):
    """Bad input for an invitation; `str(error)` is a message for the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Service:
    client_id: str
    name: str
    url: str | None
    description: str = ""


def _client(client_id: str) -> Any | None:
    """The OIDC client row, if any."""
    return db.session.scalar(db.select(Client).where(Client.client_id == client_id))


def service_for(client_id: str) -> Service | None:
    """Name and address of the target service: its launcher entry, else its client."""
    entry = entry_for_client(client_id)
    if entry is not None:
        return Service(client_id, entry.name, entry.url, entry.description or "")
    client = _client(client_id)
    if client is not None:
        return Service(client_id, getattr(client, "name", client_id), None)
    return None


def max_age_days() -> int:
    return int(current_app.config["INVITATION_MAX_AGE_DAYS"])


def link_for(token: str) -> str:
    """The absolute link mailed to the person (Compte's public address, not the request's)."""
    return current_app.config["ISSUER"] + url_for("invitations.open", token=token)


def create_invitation(
    *,
    email: str,
    client_id: str,
    civility: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    expires_in_days: int | None = None,
    created_by: Account | None = None,
    origin: str = "admin",
) -> tuple[Invitation, str]:
    """Validate and add an invitation to the session. Returns it with the link's token."""
    try:
        email = normalise_email(validate_email(email or "", check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise InvitationError(_("Adresse électronique invalide."), "email") from error
    client_id = (client_id or "").strip()
    if not client_id or service_for(client_id) is None:
        raise InvitationError(_("Ce service n'existe pas."), "client_id")
    civility = (civility or "").strip().lower() or None
    if civility not in (None, *CIVILITIES):
        raise InvitationError(_("Civilité invalide : « mme » ou « m »."), "civility")
    given_name, family_name = tidy_name(given_name), tidy_name(family_name)
    for key, name in (("given_name", given_name), ("family_name", family_name)):
        problem = name_problem(name)
        if problem:  # the API and `compte invitations add` follow the page's rule
            raise InvitationError(problem, key)
    days = max_age_days() if expires_in_days is None else int(expires_in_days)
    if not 1 <= days <= 365:
        raise InvitationError(_("La durée de validité va de 1 à 365 jours."), "expires_in_days")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        client_id=client_id,
        civility=civility,
        given_name=given_name or None,
        family_name=family_name or None,
        token_hash=secret_digest(token),
        created_by=getattr(created_by, "id", None),
        origin=origin,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(invitation)
    return invitation, token


def send_mail(invitation: Invitation, token: str) -> Any:
    """Queue the invitation mail (commits). Returns the outbox message."""
    service = service_for(invitation.client_id)
    invitation.sent_at = utcnow()
    return mails.invitation(
        invitation, service, link_for(token), still_asked=still_asked(_prefilled(invitation))
    )


def _prefilled(invitation: Invitation) -> set[str]:
    """The registration fields the invitation fills in (as prefill_from_request does)."""
    fields = ("email", "civility", "given_name", "family_name")
    return {name for name in fields if getattr(invitation, name)}


def invite(actor: Account | None = None, **fields: Any) -> tuple[Invitation, Any]:
    """Create, audit, commit and mail an invitation. Returns (invitation, outbox message)."""
    invitation, token = create_invitation(created_by=actor, **fields)
    db.session.flush()
    audit.record(
        "invitation.created",
        client_id=invitation.client_id,
        actor=actor,
        invitation_id=invitation.id,
        origin=invitation.origin,
    )
    db.session.commit()
    return invitation, send_mail(invitation, token)


def resend(invitation: Invitation, actor: Account | None = None) -> Any:
    """Mail a fresh link (the former one stops working); an expired invitation gets a new
    expiry. Refuses revoked or accepted invitations."""
    status = invitation.status()
    if status == "revoked":
        raise InvitationError(_("Cette invitation a été annulée : elle ne peut être renvoyée."))
    if status == "accepted":
        raise InvitationError(_("Cette invitation a déjà été acceptée."))
    token = secrets.token_urlsafe(32)
    invitation.token_hash = secret_digest(token)
    if status == "expired":
        invitation.expires_at = utcnow() + timedelta(days=max_age_days())
    audit.record(
        "invitation.resent",
        client_id=invitation.client_id,
        actor=actor,
        invitation_id=invitation.id,
    )
    db.session.commit()
    return send_mail(invitation, token)


def revoke(invitation: Invitation, actor: Account | None = None) -> None:
    """Cancel a pending invitation (not committed)."""
    if invitation.accepted_at is not None:
        raise InvitationError(_("Cette invitation a déjà été acceptée."))
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record(
            "invitation.revoked",
            client_id=invitation.client_id,
            actor=actor,
            invitation_id=invitation.id,
        )


def find_by_token(token: str | None) -> Invitation | None:
    """The invitation of a link token (any state), or None."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        db.select(Invitation).where(Invitation.token_hash == secret_digest(token))
    )


def listing(*, status: str | None = None, client_id: str | None = None, limit: int = 200):
    """Invitations, newest first, optionally filtered by status and service."""
    query = db.select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc())
    if client_id:
        query = query.where(Invitation.client_id == client_id)
    now = utcnow()
    if status == "pending":
        query = query.where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    elif status == "accepted":
        query = query.where(Invitation.accepted_at.is_not(None))
    elif status == "revoked":
        query = query.where(Invitation.revoked_at.is_not(None), Invitation.accepted_at.is_(None))
    elif status == "expired":
        query = query.where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at <= now,
        )
    return list(db.session.scalars(query.limit(limit)))


def accept(invitation: Invitation, account: Account, now: datetime | None = None) -> None:
    """Mark the invitation used by `account` (not committed); idempotent."""
    if invitation.accepted_at is None:
        invitation.accepted_at = now or utcnow()
        invitation.account_id = account.id
        audit.record(
            "invitation.accepted",
            account=account,
            client_id=invitation.client_id,
            invitation_id=invitation.id,
        )


def as_dict(invitation: Invitation) -> dict[str, Any]:
    """Public view of an invitation (API, CLI --json): never the token."""
    return {
        "id": invitation.id,
        "email": invitation.email,
        "civility": invitation.civility,
        "given_name": invitation.given_name,
        "family_name": invitation.family_name,
        "client_id": invitation.client_id,
        "status": invitation.status(),
        "origin": invitation.origin,
        "created_at": invitation.created_at.isoformat() + "Z",
        "expires_at": invitation.expires_at.isoformat() + "Z",
        "accepted_at": invitation.accepted_at.isoformat() + "Z" if invitation.accepted_at else None,
        "revoked_at": invitation.revoked_at.isoformat() + "Z" if invitation.revoked_at else None,
    }


# --- Contract used by registration --------------------------------------------------------


def prefill_from_request(args: Mapping[str, str]) -> dict[str, Any] | None:
    """Registration data from `?invitation=<token>` when the invitation is still pending."""
    invitation = find_by_token(args.get("invitation"))
    if invitation is None or invitation.status() != "pending":
        return None
    service = service_for(invitation.client_id)
    return {
        "email": invitation.email,
        "civility": invitation.civility,
        "given_name": invitation.given_name or "",
        "family_name": invitation.family_name or "",
        "email_locked": True,
        "invitation_token": args.get("invitation"),
        "service_name": service.name if service else "",
    }


def landing_url_after_confirmation(account: Any, invitation_token: str | None) -> str | None:
    """The invited service's address once `account` (same e-mail) is confirmed; marks the
    invitation accepted and commits (registration calls it after its own commit). None
    when nothing applies."""
    invitation = find_by_token(invitation_token)
    if invitation is None or account is None or invitation.revoked_at is not None:
        return None
    if invitation.email != normalise_email(getattr(account, "email", "") or ""):
        return None
    # Accepted even if the link expired meanwhile: the account exists now, and landing on
    # the service the person was invited to is what they expect.
    if invitation.accepted_at is None:
        accept(invitation, account)
        db.session.commit()
    service = service_for(invitation.client_id)
    return service.url if service else None
