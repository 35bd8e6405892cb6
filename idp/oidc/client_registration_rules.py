"""Client metadata of Dynamic Client Registration (RFC 7591/7592): types, our URI rule,
Authlib's claims classes, and the mapping to the arguments of idp.oidc.clients."""

from __future__ import annotations

import unicodedata

from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc7591 import (
    ClientMetadataClaims,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from authlib.oidc import registration as oidc_registration
from authlib.oidc.rpinitiated.registration import (
    ClientMetadataClaims as LogoutRedirectClaims,
)

from idp.oidc.capabilities import DEFAULT_SIGNING_ALG, SELF_REGISTERED_SCOPES, Capabilities
from idp.oidc.client_rules import validate_redirect_uri
from idp.oidc.clients import name_taken


def ascii_text(text: str) -> str:
    """RFC 6749 error descriptions use printable ASCII without " and \\: drop accents,
    straighten quotes."""
    for quote in ("\u2019", "\u00ab", "\u00bb", '"'):
        text = text.replace(quote, "'")
    text = unicodedata.normalize("NFKD", text.replace("\\", "/"))
    text = text.encode("ascii", "ignore").decode()
    # Control characters are ASCII too, and refused by Authlib (a 500): printable only.
    return " ".join("".join(c if " " <= c <= "~" else " " for c in text).split())


class LogoutClaims(BaseClaims):
    """Back- and front-channel logout metadata (OpenID Connect logout specs): Authlib has
    no claims class for them, so they are declared here and checked with our URI rule."""

    REGISTERED_CLAIMS = [
        "backchannel_logout_uri",
        "backchannel_logout_session_required",
        "frontchannel_logout_uri",
        "frontchannel_logout_session_required",
    ]


CLAIMS_CLASSES = [
    ClientMetadataClaims,
    oidc_registration.ClientMetadataClaims,
    LogoutRedirectClaims,
    LogoutClaims,
]


def server_metadata(caps: Capabilities) -> dict:
    """What Authlib's claims classes check against: what the settings leave on (scopes are
    checked by client_fields, with a clearer message)."""
    return {
        "grant_types_supported": list(caps.grant_types),
        "token_endpoint_auth_methods_supported": list(caps.auth_methods),
        "response_types_supported": list(caps.response_types),
        "id_token_signing_alg_values_supported": list(caps.signing_algs),
        # Checked by Authlib: an unknown userinfo_signed_response_alg is invalid metadata.
        "userinfo_signing_alg_values_supported": list(caps.signing_algs),
        "subject_types_supported": list(caps.subject_types),
    }


def check_redirect_uris(metadata: dict) -> list[str]:
    """Our redirect URI rule, first, so that a bad URI is an invalid_redirect_uri error
    with its reason (Authlib's claims would say invalid_client_metadata)."""
    uris = metadata.get("redirect_uris") or []
    if not isinstance(uris, list) or not all(isinstance(uri, str) for uri in uris):
        raise InvalidRedirectURIError("redirect_uris must be an array of strings.")
    grant_types = metadata.get("grant_types") or ["authorization_code"]
    if "authorization_code" in grant_types and not uris:
        raise InvalidRedirectURIError("redirect_uris is required for authorization_code.")
    for uri in uris:
        if message := validate_redirect_uri(uri):
            raise InvalidRedirectURIError(ascii_text(f"{uri}: {message}"))
    return list(uris)


STRING_FIELDS = (
    "client_name",
    "scope",
    "token_endpoint_auth_method",
    "backchannel_logout_uri",
    "frontchannel_logout_uri",
    "jwks_uri",
    "client_uri",
    "logo_uri",
    "software_id",
    "software_version",
    "id_token_signed_response_alg",
    "userinfo_signed_response_alg",
    "subject_type",
)
LIST_FIELDS = (
    "grant_types",
    "response_types",
    "post_logout_redirect_uris",
    "contacts",
    "default_acr_values",
)


def check_types(metadata: dict) -> None:
    """Wrong JSON types are a clear invalid_client_metadata, never a server error."""
    for key in STRING_FIELDS:
        if metadata.get(key) is not None and not isinstance(metadata[key], str):
            raise InvalidClientMetadataError(f"{key} must be a string.")
    for key in LIST_FIELDS:
        value = metadata.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise InvalidClientMetadataError(f"{key} must be an array of strings.")
    # Authlib's jwks check reads jwks["keys"] as a list: null, an array, a string or an
    # object without "keys" was a 500.
    jwks = metadata.get("jwks", {"keys": []})
    if not (isinstance(jwks, dict) and isinstance(jwks.get("keys"), list)):
        raise InvalidClientMetadataError("jwks must be an object {'keys': [...]}.")


def client_fields(metadata: dict, exclude_id: int | None = None) -> dict:
    """Registered metadata → keyword arguments of create_client / update_client, checked
    with the rules of the admin pages. Raises an RFC 7591 error with a clear message."""
    grant_types = list(metadata.get("grant_types") or ["authorization_code"])
    redirect_uris = check_redirect_uris(metadata)
    post_logout = list(metadata.get("post_logout_redirect_uris") or [])
    for key in ("backchannel_logout_uri", "frontchannel_logout_uri"):
        if metadata.get(key) and (message := validate_redirect_uri(metadata[key])):
            raise InvalidClientMetadataError(ascii_text(f"{key}: {message}"))
    for uri in post_logout:
        if message := validate_redirect_uri(uri):
            raise InvalidClientMetadataError(ascii_text(f"post_logout_redirect_uris: {message}"))
    scopes = (metadata.get("scope") or "openid").split()
    refused = sorted(set(scopes) - set(SELF_REGISTERED_SCOPES))
    if refused:
        raise InvalidClientMetadataError(
            ascii_text("Scopes not allowed to self-registered clients: " + " ".join(refused))
        )
    auth_method = metadata.get("token_endpoint_auth_method") or "client_secret_basic"
    if auth_method == "private_key_jwt" and not (metadata.get("jwks") or metadata.get("jwks_uri")):
        raise InvalidClientMetadataError("private_key_jwt needs jwks or jwks_uri.")
    name = (metadata.get("client_name") or "").strip()
    if not name:
        raise InvalidClientMetadataError("client_name is required.")
    if name_taken(name, exclude_id):
        raise InvalidClientMetadataError("Another client already has this client_name.")
    return {
        "name": name,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout,
        "backchannel_logout_uri": metadata.get("backchannel_logout_uri") or None,
        "frontchannel_logout_uri": metadata.get("frontchannel_logout_uri") or None,
        "auth_method": auth_method,
        "scopes": scopes,
        "grant_types": grant_types,
        "first_party": False,  # never for a self-registered client
        "client_uri": metadata.get("client_uri"),
        "logo_uri": metadata.get("logo_uri"),
        "contacts": metadata.get("contacts") or [],
        "software_id": metadata.get("software_id"),
        "software_version": metadata.get("software_version"),
        "id_token_alg": metadata.get("id_token_signed_response_alg") or DEFAULT_SIGNING_ALG,
        # Absent: plain JSON (an update that leaves it out goes back to JSON, RFC 7592).
        "userinfo_alg": metadata.get("userinfo_signed_response_alg"),
        "subject_type": metadata.get("subject_type") or "public",
        "jwks": metadata.get("jwks"),
        "jwks_uri": metadata.get("jwks_uri"),
        # Only the two-factor class alone makes the client require two factors.
        "default_acr_values": metadata.get("default_acr_values") or [],
    }


def rule_error(error: Exception) -> Exception:
    """A ClientError of idp.oidc.clients → the RFC 7591 error, with its message."""
    if getattr(error, "field", None) == "redirect_uris":
        return InvalidRedirectURIError(ascii_text(str(error)))
    return InvalidClientMetadataError(ascii_text(str(error)))
