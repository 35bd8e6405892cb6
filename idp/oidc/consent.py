"""Consent: what a person allowed each client to receive, remembered per client and scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from authlib.oauth2.rfc6749 import scope_to_list

from idp.accounts.models import Account
from idp.audit import record
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.oidc.claims import describe_scopes
from idp.oidc.clients import revoke_client_tokens
from idp.oidc.models import Client, Consent, Token

# Scopes that need no consent of their own (they release nothing by themselves).
SILENT_SCOPES = {"openid"}


def find_consent(account: Account, client_id: str) -> Consent | None:
    return db.session.scalar(
        db.select(Consent).where(Consent.account_id == account.id, Consent.client_id == client_id)
    )


def needs_consent(account: Account, client: Client, scope: str, claims: Sequence[str] = ()) -> bool:
    """True when the person must be asked: first-party clients never ask. A consent is
    remembered for scopes only: claims asked one by one beyond them (`claims`, the claims
    request parameter) are asked each time."""
    if client.first_party:
        return False
    if claims:
        return True
    wanted = set(scope_to_list(scope) or []) - SILENT_SCOPES
    consent = find_consent(account, client.client_id)
    if consent is None or consent.revoked_at is not None:
        return True
    return not wanted.issubset(set(consent.scopes.split()))


def grant_consent(
    account: Account, client: Client, scope: str, claims: Sequence[str] = ()
) -> Consent:
    """Remember that the person accepted `scope` for `client` (adds to earlier scopes);
    `claims` accepted beyond them are audited, not remembered. The caller commits."""
    consent = find_consent(account, client.client_id)
    scopes = scope_to_list(scope) or []
    if consent is None:
        consent = Consent(account_id=account.id, client_id=client.client_id, scopes="")
        db.session.add(consent)
    previous = [] if consent.revoked_at else consent.scopes.split()
    consent.scopes = " ".join(dict.fromkeys([*previous, *scopes]))
    consent.granted_at = utcnow()
    consent.revoked_at = None
    details = {"claims": list(claims)} if claims else {}
    record(
        "consent.granted",
        account=account,
        client_id=client.client_id,
        scope=consent.scopes,
        **details,
    )
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


def remember_release(account: Account, client: Client, scope: str) -> bool:
    """A first-party client is never asked for consent, yet it receives the person's data:
    keep what it received as a consent, so that "Applications connectées" lists it and the
    person can withdraw it. Writes only when something new is released (not at each
    sign-in); the caller commits."""
    if not client.first_party:
        return
    consent = find_consent(account, client.client_id)
    wanted = set(scope_to_list(scope) or [])
    if (
        consent is None
        or consent.revoked_at is not None
        or not wanted <= set(consent.scopes.split())
    ):
        grant_consent(account, client, scope)


@dataclass(frozen=True)
class ConnectedApp:
    """An application that received the person's data, as "Applications connectées" shows it."""

    client_id: str
    name: str
    scopes: str
    received: list[str]  # what it received, in words (one line per scope that releases data)
    granted_at: datetime
    last_used_at: datetime | None  # the last token it obtained, while tokens are kept
    revoked_at: datetime | None
    first_party: bool


def _last_uses(account: Account) -> dict[str, datetime]:
    """When each client last obtained a token for the account (one grouped query)."""
    rows = db.session.execute(
        db.select(Token.client_id, db.func.max(Token.issued_at))
        .where(Token.account_id == account.id)
        .group_by(Token.client_id)
    )
    return {
        client_id: datetime.fromtimestamp(issued, UTC).replace(tzinfo=None)
        for client_id, issued in rows
        if issued
    }


def connected_apps(account: Account, *, withdrawn: bool = False) -> list[ConnectedApp]:
    """The applications that received the person's data (active consents, and with
    `withdrawn` those whose access was withdrawn), by application name."""
    query = (
        db.select(Consent, Client)
        .join(Client, Client.client_id == Consent.client_id)
        .where(Consent.account_id == account.id)
        .order_by(Client.name)
    )
    if not withdrawn:
        query = query.where(Consent.revoked_at.is_(None))
    last_uses = _last_uses(account)
    return [
        ConnectedApp(
            client_id=client.client_id,
            name=client.name,
            scopes=consent.scopes,
            received=describe_scopes(consent.scopes),
            granted_at=consent.granted_at,
            last_used_at=last_uses.get(client.client_id),
            revoked_at=consent.revoked_at,
            first_party=client.first_party,
        )
        for consent, client in db.session.execute(query)
    ]
