"""After the provider: sign a linked account in, or keep the verified identity while the
person links an existing account or creates one.

The identity waits on the server, in a registration draft (idp/accounts/registration.py:
the cookie only holds its random key, the ID token in it is sealed), for as long as a
draft lives (REGISTRATION_DRAFT_MAX_AGE)."""

from __future__ import annotations

from typing import Any

from flask import session, url_for

from idp import audit
from idp.accounts import factors, registration, second_factor
from idp.accounts import login as auth
from idp.accounts.factors import trusted
from idp.accounts.models import Account
from idp.accounts.redirects import safe_next
from idp.accounts.views.login import locked_message, resend_confirmation_notice
from idp.core.extensions import db
from idp.core.sealing import SealError, seal, unseal
from idp.federation import providers, upstream_logout
from idp.federation.errors import FederationError
from idp.federation.flow import Identity
from idp.federation.models import UpstreamProvider

IDENTITY_KEY = "federation_identity"


# --- The identity waiting for a link or a registration ------------------------------------


def keep(identity: Identity) -> str:
    """Keep the identity for the next pages of this browser; returns the draft's key."""
    data = {
        "federation": {
            "provider": identity.provider,
            "kind": identity.kind,
            "subject": identity.subject,
            "claims": identity.claims,
            "id_token": seal(identity.id_token),
            "next": identity.next_url,
        }
    }
    key = registration.save_draft(session.get(IDENTITY_KEY), data)
    session[IDENTITY_KEY] = key
    return key


def waiting(key: str | None = None) -> Identity | None:
    """The identity kept under `key` (default: this browser's), if still there."""
    data = registration.load_draft(key or session.get(IDENTITY_KEY))
    found = (data or {}).get("federation")
    if not isinstance(found, dict):
        return None
    try:
        id_token = unseal(found["id_token"])
    except (SealError, KeyError, TypeError):
        return None
    return Identity(
        provider=found["provider"],
        kind=found["kind"],
        subject=found["subject"],
        claims=dict(found.get("claims") or {}),
        id_token=id_token,
        next_url=found.get("next"),
    )


def forget(key: str | None = None) -> None:
    """The identity was used (or abandoned)."""
    own = session.get(IDENTITY_KEY)
    registration.delete_draft(key or own)
    if key is None or key == own:
        session.pop(IDENTITY_KEY, None)


# --- Signing in ------------------------------------------------------------------------------


def check_usable(account: Account, provider: UpstreamProvider) -> None:
    """A locked or unconfirmed account is refused with the login page's own words."""
    if account.is_locked:
        audit.record("login.locked", account=account, provider=provider.name)
        db.session.commit()
        raise FederationError("account_locked", message=locked_message())
    if not account.is_confirmed:
        raise FederationError("account_unconfirmed", message=resend_confirmation_notice(account))


def sign_in(
    account: Account,
    provider: UpstreamProvider,
    identity: Identity,
    *,
    amr: tuple[str, ...] = (upstream_logout.AMR_FEDERATED,),
    same_browser: bool = True,
) -> str:
    """Open the session of `account` (after its second factor, when it has one and this
    browser is not trusted); returns where to go: the second step, or where the person was
    going (a service's pending authorization request included), or "Mes services".
    `same_browser`: the upstream session lives in this browser (its logout ends it too)."""
    check_usable(account, provider)
    if same_browser and identity.id_token:
        upstream_logout.remember(account, provider, identity.id_token)
    if factors.has_second_factor(account) and not trusted.is_trusted(account):
        second_factor.begin(account, list(amr), identity.next_url, step_up=False)
        db.session.commit()
        return url_for("accounts.second_factor")
    auth.open_session(account, amr=list(amr))  # audited, committed
    return safe_next(identity.next_url) or url_for("launcher.services")


def provider_of(identity: Identity) -> UpstreamProvider:
    """The enabled provider an identity came from (it may have been disabled meanwhile)."""
    provider = providers.get(identity.provider)
    if provider is None:
        raise FederationError("provider_unknown", identity.provider)
    if not provider.enabled:
        raise FederationError("provider_disabled", identity.provider)
    return provider


def claims_summary(identity: Identity) -> dict[str, Any]:
    """What the pages may show of the identity (names and address only)."""
    claims = identity.claims
    family = claims.get("family_name") or claims.get("usual_name") or ""
    return {"given_name": claims.get("given_name") or "", "family_name": family}
