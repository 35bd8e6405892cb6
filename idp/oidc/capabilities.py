"""What the provider supports, written once, and the part the settings switch on."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app

# Every scope Compte knows. "nir" releases the social security number: never a default.
# "launcher" reads the service launcher API; "invitations" lets a service client invite.
# "organization" releases the organisation's claims; ProConnect asks each of its claims
# by a scope of the claim's own name (PROCONNECT_SCOPES).
PROCONNECT_SCOPES = (
    "given_name",
    "usual_name",
    "uid",
    "siret",
    "siren",
    "organizational_unit",
    "belonging_population",
)
KNOWN_SCOPES = (
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
    "launcher",
    "organization",
    *PROCONNECT_SCOPES,
    "nir",
    "invitations",
)
DEFAULT_SCOPES = (
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
    "launcher",
    "organization",
    *PROCONNECT_SCOPES,
)
# Scopes of service clients only: not advertised, never self-registered.
PRIVATE_SCOPES = ("invitations",)
# Scopes a self-registered (RFC 7591) client may ask for: never nir nor invitations.
SELF_REGISTERED_SCOPES = DEFAULT_SCOPES
# Claims of every ID token, whatever the scope.
ID_TOKEN_CLAIMS = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "at_hash",
    "sid",
)
# The claims each scope releases (ID token and userinfo), in the order discovery lists them.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": (
        "name",
        "given_name",
        "family_name",
        "birth_family_name",
        "gender",
        "birthdate",
        "locale",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    # `phone` is ProConnect's name for the number (docs/oidc.md "Claims and their sources").
    "phone": ("phone_number", "phone_number_verified", "phone"),
    "address": ("address",),
    "organization": ("siret", "siren", "organizational_unit", "belonging_population"),
    **{scope: (scope,) for scope in PROCONNECT_SCOPES},
    "nir": ("nir",),
}
# Authentication context classes (docs/oidc.md "Authentication methods"): a sign-in with
# one factor (a password), and one with two different factors (REFEDS MFA profile).
ACR = "eidas1"
ACR_MFA = "https://refeds.org/profile/mfa"
ACR_VALUES = (ACR, ACR_MFA)


def acr_for(amr: list[str] | None) -> str:
    """The `acr` of a sign-in whose methods were `amr` (RFC 8176)."""
    return ACR_MFA if "mfa" in (amr or []) else ACR


def requires_mfa(acr_values: list[str] | tuple[str, ...] | None) -> bool:
    """Asking for these acr values demands two factors: the two-factor class is asked and
    no one-factor class is acceptable (acr_values lists the acceptable ones)."""
    values = list(acr_values or [])
    return ACR_MFA in values and ACR not in values


# What tokens are signed with when a client chose nothing (OpenID Connect Core's default).
DEFAULT_SIGNING_ALG = "RS256"
# Client authentication methods that hold a shared secret (only its hash is kept).
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
# Algorithms a private_key_jwt assertion may use (Authlib verifies them; not a switch).
ASSERTION_SIGNING_ALGS = ("RS256", "ES256", "PS256")
# Settings (config/defaults.toml) that narrow each switchable capability.
SETTINGS = {
    "signing_algs": "OIDC_SIGNING_ALGS",
    "auth_methods": "OIDC_CLIENT_AUTH_METHODS",
    "grant_types": "OIDC_GRANT_TYPES",
    "subject_types": "OIDC_SUBJECT_TYPES",
    "access_token_formats": "OIDC_ACCESS_TOKEN_FORMATS",
}
# OpenID Connect Discovery requires RS256 for ID tokens; codes are the only OpenID flow.
REQUIRED = {"signing_algs": DEFAULT_SIGNING_ALG, "grant_types": "authorization_code"}


@dataclass(frozen=True)
class Capabilities:
    """One set of capabilities: everything supported, or what the settings leave on."""

    signing_algs: tuple[str, ...] = ("RS256", "ES256")
    auth_methods: tuple[str, ...] = (
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    )
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token", "client_credentials")
    response_types: tuple[str, ...] = ("code",)
    response_modes: tuple[str, ...] = ("query", "form_post")
    code_challenge_methods: tuple[str, ...] = ("S256",)
    subject_types: tuple[str, ...] = ("public", "pairwise")
    access_token_formats: tuple[str, ...] = ("opaque", "jwt")
    scopes: tuple[str, ...] = KNOWN_SCOPES
    # Dynamic Client Registration (RFC 7591/7592), with an initial access token.
    dynamic_registration: bool = True

    @property
    def confidential_auth_methods(self) -> tuple[str, ...]:
        """Methods that prove who the client is (every one but `none`)."""
        return tuple(m for m in self.auth_methods if m != "none")

    @property
    def advertised_scopes(self) -> tuple[str, ...]:
        return tuple(s for s in self.scopes if s not in PRIVATE_SCOPES)

    @property
    def claims(self) -> tuple[str, ...]:
        """Every claim Compte may release, ID token claims first."""
        names = list(ID_TOKEN_CLAIMS)
        for scope in self.scopes:
            names += [c for c in SCOPE_CLAIMS.get(scope, ()) if c not in names]
        return tuple(names)


SUPPORTED = Capabilities()


def _narrowed(field: str, value: Any) -> tuple[str, ...]:
    supported: tuple[str, ...] = getattr(SUPPORTED, field)
    setting = SETTINGS[field]
    values = [value] if isinstance(value, str) else list(value)
    unknown = [v for v in values if v not in supported]
    if unknown:
        raise ValueError(f"{setting}: unknown value(s) {unknown}; supported: {list(supported)}")
    if field in REQUIRED and REQUIRED[field] not in values:
        raise ValueError(f"{setting} must keep {REQUIRED[field]!r}")
    if not values:
        raise ValueError(f"{setting} must keep at least one value")
    # The order stays the table's (discovery lists values in that order).
    return tuple(v for v in supported if v in values)


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


def enabled(config: Mapping[str, Any]) -> Capabilities:
    """The capabilities the settings leave on (a missing setting leaves all of them)."""
    switches = tuple((field, _frozen(config.get(setting))) for field, setting in SETTINGS.items())
    return _enabled(switches, config.get("OIDC_DYNAMIC_REGISTRATION"))


@functools.lru_cache(maxsize=16)
def _enabled(switches: tuple[tuple[str, Any], ...], dynamic_registration: Any) -> Capabilities:
    # Computed once per set of values: client authentication asks at every token request.
    changes: dict[str, Any] = {
        field: _narrowed(field, value) for field, value in switches if value is not None
    }
    if dynamic_registration is not None:
        changes["dynamic_registration"] = bool(dynamic_registration)
    return replace(SUPPORTED, **changes)


def current() -> Capabilities:
    """The capabilities of the current app (read again, so a changed setting counts)."""
    return enabled(current_app.config)
