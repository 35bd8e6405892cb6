"""The upstream identity providers an administrator declares (FranceConnect, ProConnect,
any OpenID provider): validated (idp/federation/provider_rules.py), their secret sealed,
every change committed and audited.

One service for the console (`compte providers`) and the admin pages: each call checks its
input and raises ProviderError (a French message for people, `field` naming the argument)
before anything is written. The `actor` is the administrator who acts (None: the console).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from idp import audit
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.i18n import gettext_or_french as _
from idp.core.sealing import seal, unseal
from idp.federation.models import UpstreamLink, UpstreamProvider
from idp.federation.provider_rules import (
    KIND_DEFAULTS,
    MAX_CLIENT_ID,
    MAX_LABEL,
    KindDefaults,
    ProviderError,
    checked_acr,
    checked_issuer,
    checked_kind,
    checked_name,
    checked_scope,
    checked_secret,
    checked_text,
    default_label,
)

__all__ = [
    "KIND_DEFAULTS",
    "KindDefaults",
    "ProviderError",
    "client_secret",
    "create",
    "describe",
    "enabled_providers",
    "get",
    "listed",
    "post_logout_redirect_uri",
    "redirect_uri",
    "remove",
    "set_enabled",
    "update",
]
FIELDS = ("name", "issuer", "client_id", "client_secret", "kind", "label", "scope")
FIELDS += ("acr_values", "enabled")


def _unique_name(name: str | None, exclude_id: int | None = None) -> str:
    name = checked_name(name)
    other = get(name)
    if other is not None and other.id != exclude_id:
        raise ProviderError(_("Un fournisseur porte déjà ce nom : %(name)s.", name=name), "name")
    return name


# --- Reading -----------------------------------------------------------------------------


def get(name: str) -> UpstreamProvider | None:
    """The provider with this short name (enabled or not)."""
    if not name:
        return None
    return db.session.scalar(db.select(UpstreamProvider).where(UpstreamProvider.name == name))


def listed() -> list[UpstreamProvider]:
    """Every provider, by name."""
    return list(db.session.scalars(db.select(UpstreamProvider).order_by(UpstreamProvider.name)))


def enabled_providers() -> list[UpstreamProvider]:
    """The providers the login page offers, by name."""
    query = db.select(UpstreamProvider).where(UpstreamProvider.enabled.is_(True))
    return list(db.session.scalars(query.order_by(UpstreamProvider.name)))


def redirect_uri(provider: UpstreamProvider) -> str:
    """Where the provider sends people back (to register at the provider)."""
    return f"{current_app.config['ISSUER'].rstrip('/')}/login/with/{provider.name}/callback"


def post_logout_redirect_uri(provider: UpstreamProvider) -> str:
    """Where the provider sends people after its logout (to register at the provider)."""
    return f"{current_app.config['ISSUER'].rstrip('/')}/login/with/{provider.name}/logged-out"


def client_secret(provider: UpstreamProvider) -> str | None:
    """The client secret Compte sends to the provider, unsealed (None: a public client)."""
    if not provider.client_secret_sealed:
        return None
    return unseal(provider.client_secret_sealed)


def describe(provider: UpstreamProvider) -> dict[str, Any]:
    """Every setting but the secret, with the addresses to register at the provider."""
    return {
        "name": provider.name,
        "label": provider.label,
        "kind": provider.kind,
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "has_client_secret": bool(provider.client_secret_sealed),
        "scope": provider.scope,
        "acr_values": provider.acr_values,
        "enabled": provider.enabled,
        "redirect_uri": redirect_uri(provider),
        "post_logout_redirect_uri": post_logout_redirect_uri(provider),
        "created_at": provider.created_at.isoformat(timespec="seconds"),
        "updated_at": provider.updated_at.isoformat(timespec="seconds"),
    }


# --- Changes (each one committed and audited) --------------------------------------------


def create(
    *,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    kind: str = "oidc",
    label: str | None = None,
    scope: str | None = None,
    acr_values: str | None = None,
    enabled: bool = True,
    actor: Any = None,
) -> UpstreamProvider:
    """Declare a provider; scope, acr_values and label default from its kind."""
    kind = checked_kind(kind)
    name = _unique_name(name)
    defaults = KIND_DEFAULTS[kind]
    provider = UpstreamProvider(
        name=name,
        kind=kind,
        issuer=checked_issuer(issuer),
        client_id=checked_text(client_id, MAX_CLIENT_ID, "client_id", _("Indiquez le client_id.")),
        label=checked_text(
            label or default_label(kind, name), MAX_LABEL, "label", _("Indiquez un libellé.")
        ),
        scope=checked_scope(defaults.scope if scope is None else scope),
        acr_values=checked_acr(defaults.acr_values if acr_values is None else acr_values),
        enabled=bool(enabled),
    )
    secret = checked_secret(client_secret)
    provider.client_secret_sealed = seal(secret) if secret else None
    db.session.add(provider)
    db.session.flush()
    audit.record("provider.added", actor=actor, provider=name, kind=kind)
    db.session.commit()
    return provider


def update(provider: UpstreamProvider, *, actor: Any = None, **changes: Any) -> UpstreamProvider:
    """Change the settings given (create's names). `client_secret=None` keeps the secret,
    `""` removes it; an empty label takes the kind's default again."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ProviderError(_("Réglage inconnu : %(key)s.", key=", ".join(sorted(unknown))))
    values: dict[str, Any] = {}
    if "kind" in changes and changes["kind"] is not None:
        values["kind"] = checked_kind(changes["kind"])
    if changes.get("name") is not None:
        values["name"] = _unique_name(changes["name"], exclude_id=provider.id)
    if changes.get("issuer") is not None:
        values["issuer"] = checked_issuer(changes["issuer"])
    if changes.get("client_id") is not None:
        values["client_id"] = checked_text(
            changes["client_id"], MAX_CLIENT_ID, "client_id", _("Indiquez le client_id.")
        )
    if changes.get("label") is not None:
        label = changes["label"].strip() or default_label(
            values.get("kind", provider.kind), values.get("name", provider.name)
        )
        values["label"] = checked_text(label, MAX_LABEL, "label", _("Indiquez un libellé."))
    if changes.get("scope") is not None:
        values["scope"] = checked_scope(changes["scope"])
    if changes.get("acr_values") is not None:
        values["acr_values"] = checked_acr(changes["acr_values"])
    if changes.get("enabled") is not None:
        values["enabled"] = bool(changes["enabled"])
    if changes.get("client_secret") is not None:
        secret = checked_secret(changes["client_secret"])
        values["client_secret_sealed"] = seal(secret) if secret else None
    changed = sorted(
        ("client_secret" if key == "client_secret_sealed" else key)
        for key, value in values.items()
        if key == "client_secret_sealed" or getattr(provider, key) != value
    )
    for key, value in values.items():
        setattr(provider, key, value)
    if changed:
        provider.updated_at = utcnow()
        db.session.flush()
        audit.record("provider.updated", actor=actor, provider=provider.name, changed=changed)
    db.session.commit()
    return provider


def set_enabled(provider: UpstreamProvider, enabled: bool, *, actor: Any = None) -> None:
    """Offer the provider on the login page again, or stop (its links are kept)."""
    if provider.enabled == bool(enabled):
        return
    provider.enabled = bool(enabled)
    provider.updated_at = utcnow()
    audit.record(
        "provider.enabled" if enabled else "provider.disabled", actor=actor, provider=provider.name
    )
    db.session.commit()


def remove(provider: UpstreamProvider, *, actor: Any = None) -> None:
    """Forget the provider and every account link to it (the accounts stay)."""
    # Explicit delete of the links: SQLite does not enforce ON DELETE CASCADE.
    links = db.session.execute(
        db.delete(UpstreamLink).where(UpstreamLink.provider_id == provider.id)
    ).rowcount
    audit.record("provider.removed", actor=actor, provider=provider.name, links=links or 0)
    db.session.delete(provider)
    db.session.commit()
