"""Is this Compte ready to be a ProConnect identity provider? The checks behind
`compte proconnect check` (docs/proconnect.md): what ProConnect's documentation for identity
providers asks (numerique-gouv/proconnect-documentation, doc_fi/), against the provider's
discovery document, the client registered for ProConnect and the organisations.

Each check is a plain function of what it reads, so the command, its tests and the guide
say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask

from idp.core.extensions import db
from idp.oidc.capabilities import ACR, enabled
from idp.oidc.clients import list_clients
from idp.oidc.discovery import metadata
from idp.oidc.models import Client
from idp.organizations.models import Organization, OrganizationDomain

# What ProConnect requires of every identity provider (doc_fi/configuration.md), and the
# claims it reads when they are known (siret is required by doc_fi/prerequis-fi.md).
REQUIRED_SCOPES = ("openid", "given_name", "usual_name", "email", "uid", "siret")
OPTIONAL_SCOPES = ("siren", "organizational_unit", "belonging_population", "phone")
# ProConnect verifies what it receives with the provider's public keys (no shared secret).
SIGNING_ALGS = ("ES256", "RS256")
# AC_DOMAIN (resources/valeur_ac_domain.md): ProConnect's host per platform.
AC_DOMAINS = {
    "fca.integ01.dev-agentconnect.fr": "integration, Internet",
    "fca.integ02.agentconnect.rie.gouv.fr": "integration, RIE",
    "auth.agentconnect.gouv.fr": "production, Internet",
    "auth.agentconnect.rie.gouv.fr": "production, RIE",
}
CALLBACK_PATH = "/api/v2/oidc-callback"
LOGOUT_CALLBACK_PATH = "/api/v2/client/logout-callback"

PASS, WARN, FAIL = "ok", "warning", "failed"


@dataclass(frozen=True)
class Check:
    status: str  # PASS, WARN or FAIL
    what: str


def _check(condition: bool, what: str, *, otherwise: str = FAIL) -> Check:
    return Check(PASS if condition else otherwise, what)


def provider_checks(app: Flask) -> list[Check]:
    """The discovery document, as ProConnect reads it."""
    meta = metadata(app.config["ISSUER"], enabled(app.config))
    scopes = set(meta["scopes_supported"])
    return [
        _check(urlsplit(meta["issuer"]).scheme == "https", "issuer served over https"),
        _check(ACR in meta["acr_values_supported"], f"acr {ACR!r} offered"),
        _check(
            bool(set(SIGNING_ALGS) & set(meta["id_token_signing_alg_values_supported"])),
            "ID tokens signed with ES256 or RS256",
        ),
        _check(
            bool(set(SIGNING_ALGS) & set(meta.get("userinfo_signing_alg_values_supported", []))),
            "signed userinfo available (ES256 or RS256)",
        ),
        _check(meta["claims_parameter_supported"] is True, "claims request parameter supported"),
        _check(
            meta["authorization_response_iss_parameter_supported"] is True,
            "iss in every authorization response (RFC 9207)",
        ),
        _check(set(REQUIRED_SCOPES) <= scopes, "ProConnect's scopes known"),
    ]


def proconnect_clients() -> list[Client]:
    """The clients whose redirect URI is ProConnect's callback on one of its platforms."""
    return [
        client
        for client in list_clients()
        if any(_ac_domain(uri, CALLBACK_PATH) for uri in client.redirect_uris or [])
    ]


def _ac_domain(uri: str, path: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname in AC_DOMAINS and parts.path == path:
        return parts.hostname
    return None


def client_checks(client: Client) -> list[Check]:
    """The client registered for ProConnect."""
    platforms = {
        AC_DOMAINS[host]
        for uri in client.redirect_uris or []
        if (host := _ac_domain(uri, CALLBACK_PATH))
    }
    allowed = set((client.scope or "").split())
    missing = [s for s in REQUIRED_SCOPES if s not in allowed]
    absent = [s for s in OPTIONAL_SCOPES if s not in allowed]
    logout = [
        u for u in client.post_logout_redirect_uris or [] if _ac_domain(u, LOGOUT_CALLBACK_PATH)
    ]
    return [
        _check(not client.disabled, f"client {client.client_id} enabled"),
        _check(
            bool(platforms),
            "ProConnect's redirect_uri: " + (", ".join(sorted(platforms)) or "none"),
        ),
        _check(bool(logout), "ProConnect's post_logout_redirect_uri (logout)", otherwise=WARN),
        _check(client.check_grant_type("authorization_code"), "authorization_code grant"),
        _check(
            not missing,
            "required scopes allowed" + (f" (missing: {' '.join(missing)})" if missing else ""),
        ),
        _check(
            not absent,
            "optional scopes allowed" + (f" (missing: {' '.join(absent)})" if absent else ""),
            otherwise=WARN,
        ),
        _check(
            client.id_token_signed_response_alg in SIGNING_ALGS,
            f"ID tokens signed with {client.id_token_signed_response_alg}",
        ),
        _check(
            client.userinfo_signed_response_alg in SIGNING_ALGS,
            f"userinfo signed ({client.userinfo_signed_response_alg or 'no: plain JSON'})",
        ),
        _check(
            client.first_party,
            "no consent page (first-party client, --first-party)",
            otherwise=WARN,
        ),
    ]


def organization_checks() -> list[Check]:
    """ProConnect needs every agent's SIRET: organisations must exist, with their domains."""
    organizations = db.session.scalar(db.select(db.func.count()).select_from(Organization))
    domains = db.session.scalar(db.select(db.func.count()).select_from(OrganizationDomain))
    return [
        _check(bool(organizations), f"organisations declared: {organizations}"),
        _check(bool(domains), f"e-mail domains attached: {domains}", otherwise=WARN),
    ]


def all_checks(app: Flask, client: Client | None) -> list[Check]:
    checks = provider_checks(app)
    if client is None:
        checks.append(Check(FAIL, "no client registered with ProConnect's redirect_uri"))
    else:
        checks += client_checks(client)
    return checks + organization_checks()
