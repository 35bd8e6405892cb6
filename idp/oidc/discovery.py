"""OpenID Provider metadata (Discovery 1.0), validated with Authlib and served as
prepared bytes with an ETag."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from authlib.oidc.discovery import OpenIDProviderMetadata
from flask import Flask

from idp.oidc.clients import KNOWN_SCOPES
from idp.oidc.grants import ACR, ALL_AUTH_METHODS

CLAIMS = [
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
    "name",
    "given_name",
    "family_name",
    "birth_family_name",
    "gender",
    "birthdate",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "address",
    "nir",
]


@dataclass(frozen=True)
class Prepared:
    body: bytes
    etag: str


def metadata(issuer: str) -> dict:
    """The provider metadata for `issuer`."""
    data = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/oauth/jwks",
        "registration_endpoint": f"{issuer}/oauth/register",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "end_session_endpoint": f"{issuer}/oauth/logout",
        "scopes_supported": [s for s in KNOWN_SCOPES if s != "invitations"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ALL_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256", "PS256"],
        "revocation_endpoint_auth_methods_supported": ALL_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": [
            m for m in ALL_AUTH_METHODS if m != "none"
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS,
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "acr_values_supported": [ACR],
        "ui_locales_supported": ["fr", "en"],
        "claims_locales_supported": ["fr"],
        "display_values_supported": ["page"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        "authorization_response_iss_parameter_supported": False,
    }
    OpenIDProviderMetadata(data).validate()
    return data


def prepare(app: Flask) -> Prepared:
    """Discovery document as bytes (built once per app)."""
    body = json.dumps(metadata(app.config["ISSUER"]), separators=(",", ":")).encode()
    return Prepared(body=body, etag=hashlib.sha256(body).hexdigest()[:32])
