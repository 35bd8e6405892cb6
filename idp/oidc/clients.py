"""Client applications: CRUD over the rules of idp.oidc.client_rules.

Plain functions over the models (no Flask request needed). They add/flush to the
session; THE CALLER COMMITS (so that an admin's audit event lands in the same
transaction). Invalid input raises ClientError whose message (French, for people) says
what to fix and whose `field` names the offending argument.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC
from typing import Any

from sqlalchemy import func

from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.core.signals import answers
from idp.oidc import signals
from idp.oidc.capabilities import (
    ACR_MFA,
    DEFAULT_SCOPES,
    DEFAULT_SIGNING_ALG,
    SECRET_METHODS,
    current,
)
from idp.oidc.client_rules import (
    MAX_NAME_LENGTH,
    METADATA_LENGTHS,
    ClientError,
    _,
    check_acr_values,
    check_choice,
    check_consistency,
    check_length,
    check_optional_uri,
    check_uris,
    check_userinfo_alg,
    normalise_scopes,
)
from idp.oidc.models import (
    AuthorizationCode,
    Client,
    Consent,
    SessionClient,
    Token,
)


def _new_client_id() -> str:
    # Never a leading "-": the id is typed as a command-line argument (`compte clients show ID`),
    # where it would read as an option.
    return "c" + secrets.token_urlsafe(18)


def _new_secret() -> str:
    # 256 bits of randomness: SHA-256 storage is enough (no bcrypt needed).
    return secrets.token_urlsafe(32)


def name_taken(name: str, exclude_id: int | None = None) -> bool:
    """True when another client has this name (case and surrounding spaces ignored):
    people choose on the consent page by name, so names must not be confusable."""
    query = db.select(Client.id).where(func.lower(Client.name) == name.strip().lower())
    if exclude_id is not None:
        query = query.where(Client.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def get_client(client_id: str) -> Client | None:
    """The client with that client_id (enabled or not)."""
    return db.session.scalar(db.select(Client).where(Client.client_id == client_id))


def names_of(client_ids: Iterable[str | None]) -> dict[str, str]:
    """The names of these clients, by client_id, in one query (pages show names, not ids);
    a removed client is simply absent."""
    wanted = {i for i in client_ids if i}
    if not wanted:
        return {}
    rows = db.session.execute(
        db.select(Client.client_id, Client.name).where(Client.client_id.in_(wanted))
    )
    return dict(rows.all())


def _checked_name(name: str | None, exclude_id: int | None = None) -> str:
    """The client's name, trimmed: present, storable, and not another client's."""
    name = (name or "").strip()
    if not name:
        raise ClientError(_("Donnez un nom à l’application."), "name")
    if len(name) > MAX_NAME_LENGTH:
        raise ClientError(_("Le nom ne doit pas dépasser 100 caractères."), "name")
    if name_taken(name, exclude_id=exclude_id):
        raise ClientError(
            _("Une autre application porte déjà ce nom : choisissez-en un autre."), "name"
        )
    return name


def create_client(
    name: str,
    redirect_uris: Iterable[str] = (),
    post_logout_redirect_uris: Iterable[str] = (),
    backchannel_logout_uri: str | None = None,
    frontchannel_logout_uri: str | None = None,
    auth_method: str = "client_secret_basic",
    scopes: Iterable[str] | str = DEFAULT_SCOPES,
    grant_types: Iterable[str] = ("authorization_code", "refresh_token"),
    first_party: bool = False,
    id_token_alg: str = DEFAULT_SIGNING_ALG,
    userinfo_alg: str | None = None,
    subject_type: str = "public",
    access_token_format: str = "opaque",  # noqa: S107
    jwks: dict | None = None,
    jwks_uri: str | None = None,
    client_id: str | None = None,
    require_mfa: bool = False,
    default_acr_values: Iterable[str] = (),
    **metadata: Any,
) -> tuple[Client, str | None]:
    """Register a client. Returns (client, plain secret) — the secret is shown once and
    only its hash is kept; None for `none` and `private_key_jwt`. Not committed."""
    name = _checked_name(name)
    if client_id is not None and get_client(client_id) is not None:
        raise ClientError(_("Cet identifiant d’application existe déjà."), "client_id")
    caps = current()  # what the settings leave on: a value switched off is refused
    grants = [check_choice(g, caps.grant_types, "grant_types") for g in dict.fromkeys(grant_types)]
    client = Client(
        client_id=client_id or _new_client_id(),
        name=name,
        redirect_uris=check_uris(redirect_uris, "redirect_uris"),
        post_logout_redirect_uris=check_uris(
            post_logout_redirect_uris, "post_logout_redirect_uris"
        ),
        backchannel_logout_uri=check_optional_uri(backchannel_logout_uri, "backchannel_logout_uri"),
        frontchannel_logout_uri=check_optional_uri(
            frontchannel_logout_uri, "frontchannel_logout_uri"
        ),
        token_endpoint_auth_method=check_choice(auth_method, caps.auth_methods, "auth_method"),
        grant_types=grants,
        response_types=["code"] if "authorization_code" in grants else [],
        scope=normalise_scopes(scopes),
        first_party=bool(first_party),
        id_token_signed_response_alg=check_choice(id_token_alg, caps.signing_algs, "id_token_alg"),
        userinfo_signed_response_alg=check_userinfo_alg(
            userinfo_alg, caps.signing_algs, "userinfo_alg"
        ),
        subject_type=check_choice(subject_type, caps.subject_types, "subject_type"),
        access_token_format=check_choice(
            access_token_format, caps.access_token_formats, "access_token_format"
        ),
        jwks=jwks,
        jwks_uri=check_optional_uri(jwks_uri, "jwks_uri"),
        default_acr_values=check_acr_values(
            [ACR_MFA] if require_mfa else default_acr_values, "default_acr_values"
        ),
        contacts=list(metadata.pop("contacts", None) or []),
        **{
            k: check_length(v, METADATA_LENGTHS[k], k)
            for k, v in metadata.items()
            if k in METADATA_LENGTHS
        },
    )
    check_consistency(client)
    secret = None
    if client.token_endpoint_auth_method in SECRET_METHODS:
        secret = _new_secret()
        client.client_secret_hash = secret_digest(secret)
    db.session.add(client)
    db.session.flush()
    return client, secret


_FIELD_MAP = {
    "auth_method": "token_endpoint_auth_method",
    "scopes": "scope",
    "id_token_alg": "id_token_signed_response_alg",
    "userinfo_alg": "userinfo_signed_response_alg",
}


def update_client(client: Client, **fields: Any) -> Client:
    """Change settings, with the names create_client takes. Not committed.

    Switching to a secret-based auth method on a client without a secret needs a
    rotate_secret() afterwards (until then the client cannot authenticate)."""
    caps = current()
    for key, value in fields.items():
        if key == "name":
            value = _checked_name(value, exclude_id=client.id)
        elif key in ("redirect_uris", "post_logout_redirect_uris"):
            value = check_uris(value, key)
        elif key in ("backchannel_logout_uri", "frontchannel_logout_uri", "jwks_uri"):
            value = check_optional_uri(value, key)
        elif key == "auth_method":
            value = check_choice(value, caps.auth_methods, key)
            if value not in SECRET_METHODS:
                client.client_secret_hash = None
        elif key == "scopes":
            value = normalise_scopes(value)
        elif key == "grant_types":
            value = [check_choice(g, caps.grant_types, key) for g in dict.fromkeys(value)]
            client.response_types = ["code"] if "authorization_code" in value else []
        elif key == "id_token_alg":
            value = check_choice(value, caps.signing_algs, key)
        elif key == "userinfo_alg":
            value = check_userinfo_alg(value, caps.signing_algs, key)
        elif key == "subject_type":
            value = check_choice(value, caps.subject_types, key)
        elif key == "access_token_format":
            value = check_choice(value, caps.access_token_formats, key)
        elif key == "first_party":
            value = bool(value)
        elif key == "require_mfa":
            key, value = "default_acr_values", [ACR_MFA] if value else []
        elif key == "default_acr_values":
            value = check_acr_values(value, key)
        elif key == "contacts":
            value = list(value or [])
        elif key in METADATA_LENGTHS:
            value = check_length(value, METADATA_LENGTHS[key], key)
        elif key != "jwks":
            raise ClientError(_("Réglage inconnu : %(key)s.", key=key), key)
        setattr(client, _FIELD_MAP.get(key, key), value)
    check_consistency(client)
    client.updated_at = utcnow()
    db.session.flush()
    return client


def rotate_secret(client: Client) -> str:
    """Give the client a new secret (the old one stops working at once). Not committed."""
    if client.token_endpoint_auth_method not in SECRET_METHODS:
        raise ClientError(
            _(
                "Cette application ne s’authentifie pas par secret (méthode %(m)s).",
                m=client.token_endpoint_auth_method,
            ),
            "auth_method",
        )
    secret = _new_secret()
    client.client_secret_hash = secret_digest(secret)
    client.updated_at = utcnow()
    db.session.flush()
    return secret


def revoke_client_tokens(client_id: str, account_id: int | None = None) -> int:
    """Revoke every live token of a client (optionally of one account only)."""
    query = db.update(Token).where(Token.client_id == client_id, Token.revoked_at.is_(None))
    if account_id is not None:
        query = query.where(Token.account_id == account_id)
    result = db.session.execute(query.values(revoked_at=utcnow()))
    return result.rowcount or 0


def set_disabled(client: Client, disabled: bool) -> Client:
    """Disable (refused everywhere, its tokens revoked) or re-enable a client. Not committed."""
    client.disabled = bool(disabled)
    if disabled:
        revoke_client_tokens(client.client_id)
    client.updated_at = utcnow()
    db.session.flush()
    return client


def delete_client(client: Client) -> None:
    """Remove a client with its codes, tokens, consents and session links. Not committed."""
    client_id = client.client_id
    # Explicit deletes: SQLite does not enforce ON DELETE CASCADE without a pragma.
    for model in (Token, AuthorizationCode, Consent, SessionClient):
        db.session.execute(db.delete(model).where(model.client_id == client_id))
    answers(signals.client_deleting, client=client)  # its launcher entry
    db.session.delete(client)
    db.session.flush()


def client_settings(client: Client) -> dict:
    """A client's settings under the names create_client and update_client take."""
    return {
        "name": client.name,
        "redirect_uris": list(client.redirect_uris or []),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris or []),
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "frontchannel_logout_uri": client.frontchannel_logout_uri,
        "auth_method": client.token_endpoint_auth_method,
        "scopes": client.scope.split(),
        "grant_types": list(client.grant_types or []),
        "first_party": client.first_party,
        "id_token_alg": client.id_token_signed_response_alg,
        "userinfo_alg": client.userinfo_signed_response_alg,
        "subject_type": client.subject_type,
        "access_token_format": client.access_token_format,
        "require_mfa": client.requires_mfa,
        "jwks": client.jwks,
        "jwks_uri": client.jwks_uri,
    }


def client_metadata(client: Client) -> dict:
    """The registered metadata of a client, as RFC 7591 names it (no secret: only its hash
    is kept)."""
    return {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.replace(tzinfo=UTC).timestamp()),
        "client_secret_expires_at": 0,
        **client.client_metadata,
    }


def list_clients() -> list[Client]:
    """Every client, by name."""
    return list(db.session.scalars(db.select(Client).order_by(Client.name, Client.id)))
