"""Consent: what a person allowed each client to receive, remembered per client and scope."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import scope_to_list

from idp.accounts.models import Account
from idp.audit import record
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.oidc.clients import revoke_client_tokens
from idp.oidc.models import Client, Consent

# Scopes that need no consent of their own (they release nothing by themselves).
SILENT_SCOPES = {"openid"}


def find_consent(account: Account, client_id: str) -> Consent | None:
    return db.session.scalar(
        db.select(Consent).where(Consent.account_id == account.id, Consent.client_id == client_id)
    )


def needs_consent(account: Account, client: Client, scope: str) -> bool:
    """True when the person must be asked: first-party clients never ask."""
    if client.first_party:
        return False
    wanted = set(scope_to_list(scope) or []) - SILENT_SCOPES
    consent = find_consent(account, client.client_id)
    if consent is None or consent.revoked_at is not None:
        return True
    return not wanted.issubset(set(consent.scopes.split()))


def grant_consent(account: Account, client: Client, scope: str) -> Consent:
    """Remember that the person accepted `scope` for `client` (adds to earlier scopes).
    Audited; the caller commits."""
    consent = find_consent(account, client.client_id)
    scopes = scope_to_list(scope) or []
    if consent is None:
        consent = Consent(account_id=account.id, client_id=client.client_id, scopes="")
        db.session.add(consent)
    previous = [] if consent.revoked_at else consent.scopes.split()
    consent.scopes = " ".join(dict.fromkeys([*previous, *scopes]))
    consent.granted_at = utcnow()
    consent.revoked_at = None
    record("consent.granted", account=account, client_id=client.client_id, scope=consent.scopes)
    return consent


def revoke_consent(account: Account, client_id: str) -> bool:
    """Withdraw the consent and revoke every token of that client for the account.
    Audited; the caller commits. False when there was nothing to revoke."""
    consent = find_consent(account, client_id)
    if consent is None or consent.revoked_at is not None:
        return False
    consent.revoked_at = utcnow()
    count = revoke_client_tokens(client_id, account.id)
    record("consent.revoked", account=account, client_id=client_id, tokens_revoked=count)
    return True


def connected_apps(account: Account) -> list[Consent]:
    """The person's active consents, by application name (for "Applications connectées")."""
    return list(
        db.session.scalars(
            db.select(Consent)
            .join(Client, Client.client_id == Consent.client_id)
            .where(Consent.account_id == account.id, Consent.revoked_at.is_(None))
            .order_by(Client.name)
        )
    )
