"""The rules a provider's settings follow (no database writes): the kinds and their
defaults, and a check per setting raising ProviderError with a French message for people
(the console, the admin form) and the name of the setting at fault."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from idp.core.i18n import gettext_or_french as _
from idp.federation.models import KINDS

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
LOCAL_HOSTS = ("localhost", "127.0.0.1")
# Column sizes of UpstreamProvider (idp/federation/models.py).
MAX_LABEL, MAX_ISSUER, MAX_CLIENT_ID, MAX_ACR = 100, 500, 255, 255
MAX_SECRET, MAX_SCOPE = 1000, 1000


@dataclass(frozen=True)
class KindDefaults:
    """What a kind of provider starts with; every value can be changed per provider."""

    label: str | None  # None: the provider's own name
    scope: str
    acr_values: str | None
    issuer_hint: str | None = None  # production issuer
    integration_issuer: str | None = None  # the federation's test platform


KIND_DEFAULTS: dict[str, KindDefaults] = {
    # FranceConnect v2: discovery at <issuer>/.well-known/openid-configuration; ID token
    # and userinfo signed (ES256 or RS256); the pivot identity in the scope.
    "franceconnect": KindDefaults(
        label="FranceConnect",
        scope="openid given_name family_name birthdate gender birthplace birthcountry email",
        acr_values="eidas1",
        issuer_hint="https://oidc.franceconnect.gouv.fr/api/v2",
        integration_issuer="https://fcp-low.integ01.dev-franceconnect.fr/api/v2",
    ),
    # ProConnect (formerly AgentConnect) v2: the public servants' federation.
    "proconnect": KindDefaults(
        label="ProConnect",
        scope="openid email given_name usual_name uid siret",
        acr_values="eidas1",
        issuer_hint="https://auth.agentconnect.gouv.fr/api/v2",
        integration_issuer="https://fca.integ01.dev-agentconnect.fr/api/v2",
    ),
    "oidc": KindDefaults(label=None, scope="openid email profile", acr_values=None),
}


class ProviderError(ValueError):
    """A provider setting is not acceptable; `str(error)` says what to fix, `field` names
    the argument (for the admin form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def secure_url(url: Any) -> bool:
    """An https address without credentials (http only on this machine, for tests and
    development): a provider's issuer, and every endpoint its discovery names."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS)


def checked_name(name: str | None) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.fullmatch(name):
        raise ProviderError(
            _(
                "Le nom court doit compter 1 à 64 caractères : lettres minuscules sans "
                "accent, chiffres et tirets, sans tiret au début (ex. : franceconnect)."
            ),
            "name",
        )
    return name


def checked_issuer(issuer: str | None) -> str:
    issuer = (issuer or "").strip()
    message = _(
        "L’émetteur (issuer) doit être une adresse https:// sans paramètre ni fragment "
        "(http:// seulement sur localhost ou 127.0.0.1)."
    )
    if not secure_url(issuer):
        raise ProviderError(message, "issuer")
    parts = urlsplit(issuer)
    if parts.query or parts.fragment or any(c.isspace() for c in issuer):
        raise ProviderError(message, "issuer")
    if len(issuer) > MAX_ISSUER:
        raise ProviderError(_("L’émetteur ne doit pas dépasser 500 caractères."), "issuer")
    return issuer


def checked_text(value: str | None, limit: int, field: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ProviderError(missing, field)
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise ProviderError(
            _("Valeur trop longue ou invalide (%(limit)s caractères au plus).", limit=limit),
            field,
        )
    return value


def checked_kind(kind: str | None) -> str:
    if kind not in KINDS:
        raise ProviderError(
            _("Type de fournisseur inconnu : choisissez %(kinds)s.", kinds=", ".join(KINDS)),
            "kind",
        )
    return kind


def _words(value: str | None) -> list[str]:
    return list(dict.fromkeys((value or "").split()))


def checked_scope(scope: str | None) -> str:
    words = _words(scope)
    if "openid" not in words:
        raise ProviderError(_("Le scope doit contenir « openid »."), "scope")
    text = " ".join(words)
    if len(text) > MAX_SCOPE or any(not w.isprintable() or '"' in w for w in words):
        raise ProviderError(_("Le scope contient une valeur invalide."), "scope")
    return text


def checked_acr(acr_values: str | None) -> str | None:
    text = " ".join(_words(acr_values))
    if len(text) > MAX_ACR or not text.isprintable() or '"' in text:
        raise ProviderError(_("Les valeurs acr sont trop longues ou invalides."), "acr_values")
    return text or None


def checked_secret(secret: str | None) -> str | None:
    if secret is None or not secret.strip():
        return None
    secret = secret.strip()
    if len(secret) > MAX_SECRET or not secret.isprintable():
        raise ProviderError(_("Le secret est trop long ou contient des caractères invalides."))
    return secret


def default_label(kind: str, name: str) -> str:
    return KIND_DEFAULTS[kind].label or name
