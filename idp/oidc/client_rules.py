"""Rules a client application must follow (plain functions, no database access).

Messages are in French for people, translated when a request asks for English.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from idp.core.digest import matches_digest
from idp.core.i18n import gettext_or_french as _
from idp.oidc.bounds import MAX_LENGTH
from idp.oidc.capabilities import ACR_VALUES, KNOWN_SCOPES

if TYPE_CHECKING:  # the model calls check_secret: imported for annotations only
    from idp.oidc.models import Client

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# Column sizes of the Client model (idp/oidc/models.py): longer values could not be stored.
MAX_NAME_LENGTH = 100
MAX_URI_LENGTH = MAX_LENGTH["redirect_uri"]
METADATA_LENGTHS = {"client_uri": 500, "logo_uri": 500, "software_id": 100, "software_version": 50}


class ClientError(ValueError):
    """A client setting is not acceptable; `str(error)` is a message for people."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.field = field


def check_secret(client: Client, plain: str | None) -> bool:
    """Constant-time check of a client secret against its stored hash."""
    if not client.client_secret_hash or not plain:
        return False
    return matches_digest(client.client_secret_hash, plain)


def validate_redirect_uri(uri: str) -> str | None:
    """None when `uri` is an acceptable redirect (or logout) URI, else the reason, in French.

    Absolute, no fragment, https — except http on the loopback (localhost, 127.0.0.1,
    [::1]) for development and native applications.
    """
    if not uri or not uri.strip():
        return _("L’adresse est vide.")
    if len(uri) > MAX_URI_LENGTH:
        return _("L’adresse ne doit pas dépasser %(limit)s caractères.", limit=MAX_URI_LENGTH)
    if uri != uri.strip() or any(c.isspace() for c in uri):
        return _("L’adresse ne doit pas contenir d’espace.")
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return _("« %(uri)s » n’est pas une adresse web valide.", uri=uri)
    if parts.scheme not in ("http", "https") or not host:
        return _("« %(uri)s » doit être une adresse complète commençant par https://.", uri=uri)
    if parts.fragment or "#" in uri:
        return _("L’adresse ne doit pas contenir de fragment (partie après « # »).")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return _(
            "« %(uri)s » doit utiliser https:// (http:// n’est accepté que pour "
            "localhost, 127.0.0.1 et [::1]).",
            uri=uri,
        )
    return None


def check_uris(values: Iterable[str] | None, field: str) -> list[str]:
    result: list[str] = []
    for uri in values or ():
        error = validate_redirect_uri(uri)
        if error:
            raise ClientError(error, field)
        if uri not in result:
            result.append(uri)
    return result


def check_optional_uri(value: str | None, field: str) -> str | None:
    if not value:
        return None
    error = validate_redirect_uri(value)
    if error:
        raise ClientError(error, field)
    return value


def check_length(value: str | None, limit: int, field: str) -> str | None:
    """`value` when it fits in `limit` characters (None passes), else a ClientError."""
    if value is not None and len(value) > limit:
        raise ClientError(
            _("« %(field)s » ne doit pas dépasser %(limit)s caractères.", field=field, limit=limit),
            field,
        )
    return value


def check_choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ClientError(
            _(
                "Valeur « %(value)s » inconnue ; choisissez parmi : %(allowed)s.",
                value=value,
                allowed=", ".join(allowed),
            ),
            field,
        )
    return value


# Userinfo answered as plain JSON: no algorithm (the console and the admin form may say so).
UNSIGNED = ("", "none")


def check_userinfo_alg(value: str | None, allowed: tuple[str, ...], field: str) -> str | None:
    """How userinfo answers a client: None for plain JSON, else an algorithm Compte signs
    with (`allowed`), whose key signs the JWT (OpenID Connect Core 5.3.2)."""
    if value is None or value in UNSIGNED:
        return None
    return check_choice(value, allowed, field)


def check_acr_values(values: Iterable[str] | None, field: str) -> list[str]:
    """Authentication context classes Compte knows (capabilities.ACR_VALUES), each once."""
    checked = []
    for value in dict.fromkeys(values or []):
        if value not in ACR_VALUES:
            raise ClientError(
                _(
                    "Valeur d'acr inconnue : %(value)s (valeurs possibles : %(allowed)s).",
                    value=value,
                    allowed=", ".join(ACR_VALUES),
                ),
                field,
            )
        checked.append(value)
    return checked


def normalise_scopes(values: Iterable[str] | str) -> str:
    items = values.split() if isinstance(values, str) else [s for v in values for s in v.split()]
    unknown = [s for s in items if s not in KNOWN_SCOPES]
    if unknown:
        raise ClientError(
            _(
                "Portée(s) inconnue(s) : %(unknown)s. Portées possibles : %(known)s.",
                unknown=", ".join(unknown),
                known=", ".join(KNOWN_SCOPES),
            ),
            "scopes",
        )
    return " ".join(dict.fromkeys(items))


def check_consistency(client: Client) -> None:
    """Rules that involve several settings at once."""
    grants = client.grant_types or []
    if not grants:
        raise ClientError(_("Choisissez au moins un type d’autorisation."), "grant_types")
    if "authorization_code" in grants and not client.redirect_uris:
        raise ClientError(
            _("Une application qui connecte des personnes doit avoir une adresse de retour."),
            "redirect_uris",
        )
    if "refresh_token" in grants and "authorization_code" not in grants:
        raise ClientError(
            _("Le renouvellement (refresh_token) n’a de sens qu’avec authorization_code."),
            "grant_types",
        )
    if client.is_public and "client_credentials" in grants:
        raise ClientError(
            _("Une application publique (sans secret) ne peut pas utiliser client_credentials."),
            "grant_types",
        )
    if client.token_endpoint_auth_method == "private_key_jwt" and not (  # noqa: S105
        client.jwks or client.jwks_uri
    ):
        raise ClientError(
            _("private_key_jwt demande les clés publiques de l’application (jwks ou jwks_uri)."),
            "jwks",
        )
    if client.jwks is not None and not (
        isinstance(client.jwks, dict) and isinstance(client.jwks.get("keys"), list)
    ):
        raise ClientError(_('jwks doit être un objet JSON de la forme {"keys": [...]}.'), "jwks")
    if client.subject_type == "pairwise" and not client.redirect_uris:
        raise ClientError(
            _("Un identifiant par application (pairwise) demande une adresse de retour."),
            "subject_type",
        )
