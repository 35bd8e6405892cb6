"""OpenID Provider metadata (Discovery 1.0), validated with Authlib and served as
prepared bytes with an ETag."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from authlib.oauth2 import rfc9207
from authlib.oidc.discovery import OpenIDProviderMetadata
from flask import Flask

from idp.oidc.capabilities import ACR_VALUES, ASSERTION_SIGNING_ALGS, Capabilities, enabled


@dataclass(frozen=True)
class Prepared:
    body: bytes
    etag: str


def metadata(issuer: str, caps: Capabilities) -> dict:
    """The provider metadata for `issuer`, offering `caps`."""
    registration = (
        {"registration_endpoint": f"{issuer}/oauth/register"} if caps.dynamic_registration else {}
    )
    data = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/oauth/jwks",
        **registration,
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "end_session_endpoint": f"{issuer}/oauth/logout",
        "scopes_supported": list(caps.advertised_scopes),
        "response_types_supported": list(caps.response_types),
        "response_modes_supported": list(caps.response_modes),
        "grant_types_supported": list(caps.grant_types),
        "subject_types_supported": list(caps.subject_types),
        "id_token_signing_alg_values_supported": list(caps.signing_algs),
        # A client may ask for signed userinfo answers (userinfo_signed_response_alg).
        "userinfo_signing_alg_values_supported": list(caps.signing_algs),
        "token_endpoint_auth_methods_supported": list(caps.auth_methods),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_SIGNING_ALGS),
        "revocation_endpoint_auth_methods_supported": list(caps.auth_methods),
        "introspection_endpoint_auth_methods_supported": list(caps.confidential_auth_methods),
        "code_challenge_methods_supported": list(caps.code_challenge_methods),
        "claims_supported": list(caps.claims),
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "acr_values_supported": list(ACR_VALUES),
        "ui_locales_supported": ["fr", "en"],
        "claims_locales_supported": ["fr"],
        "display_values_supported": ["page"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        # RFC 9207: every authorization response carries `iss` (idp/oidc/server.py).
        "authorization_response_iss_parameter_supported": True,
    }
    OpenIDProviderMetadata(data).validate(metadata_classes=[rfc9207.AuthorizationServerMetadata])
    return data


def prepare(app: Flask) -> Prepared:
    """Discovery document as bytes (built once per app)."""
    body = json.dumps(
        metadata(app.config["ISSUER"], enabled(app.config)), separators=(",", ":")
    ).encode()
    return Prepared(body=body, etag=hashlib.sha256(body).hexdigest()[:32])
