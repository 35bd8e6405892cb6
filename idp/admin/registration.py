"""Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592).

Closed by default: registering needs an initial access token issued by an admin
(`compte clients token` or the admin page). A registered client manages its own record
with the registration access token returned at registration. Both tokens are bearer
secrets: only their SHA-256 is stored. Authlib's endpoints do the protocol; the client
rules are those of idp.oidc.clients (the same as the admin pages) plus the limits of
self-registered clients (never first-party, never the `nir` or `invitations` scopes).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskJsonPayload, FlaskJsonRequest
from authlib.oauth2.claims import BaseClaims
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import (
    ClientMetadataClaims,
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint
from authlib.oidc import registration as oidc_registration
from authlib.oidc.rpinitiated.registration import (
    ClientMetadataClaims as LogoutRedirectClaims,
)
from flask import Blueprint, Flask, current_app, url_for
from flask import request as flask_request

from idp import audit
from idp.admin.forms_clients import client_name_taken
from idp.admin.models import InitialAccessToken
from idp.core.clock import utcnow
from idp.core.digest import matches_digest, secret_digest
from idp.core.extensions import csrf, db
from idp.oidc import guard
from idp.oidc.capabilities import SECRET_METHODS
from idp.oidc.client_rules import ClientError, validate_redirect_uri
from idp.oidc.clients import create_client, delete_client, rotate_secret, update_client
from idp.oidc.models import Client

DCR_SCOPES = ("openid", "profile", "email", "phone", "address", "offline_access", "launcher")
DCR_GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
DCR_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")

bp = Blueprint("registration", __name__)


def issue_initial_access_token(
    created_by: Any = None, *, expires_in_days: int = 7, max_uses: int | None = 1
) -> tuple[InitialAccessToken, str]:
    """Create an initial access token (not committed); returns the row and the plain token."""
    plain = secrets.token_urlsafe(32)
    row = InitialAccessToken(
        token_hash=secret_digest(plain),
        created_by=getattr(created_by, "id", created_by),
        expires_at=utcnow() + timedelta(days=expires_in_days),
        max_uses=max_uses,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "admin.initial_access_token.created",
        actor=created_by,
        token_id=row.id,
        expires_at=row.expires_at.isoformat(timespec="seconds"),
        max_uses=max_uses,
    )
    return row, plain


def ascii_text(text: str) -> str:
    """RFC 6749 error descriptions use printable ASCII without " and \\: drop accents,
    straighten quotes."""
    for quote in ("\u2019", "\u00ab", "\u00bb", '"'):
        text = text.replace(quote, "'")
    text = unicodedata.normalize("NFKD", text.replace("\\", "/"))
    text = text.encode("ascii", "ignore").decode()
    # Control characters are ASCII too, and refused by Authlib (a 500): printable only.
    return " ".join("".join(c if " " <= c <= "~" else " " for c in text).split())


def _consume(initial: InitialAccessToken) -> None:
    """Count one registration, atomically, so that max_uses holds under concurrency."""
    table = InitialAccessToken
    result = db.session.execute(
        db.update(table)
        .where(table.id == initial.id)
        .where(sa.or_(table.max_uses.is_(None), table.used_count < table.max_uses))
        .values(used_count=table.used_count + 1)
    )
    if result.rowcount != 1:
        raise InvalidTokenError("Initial access token expired, revoked or used up.")


def _bearer() -> str | None:
    kind, _, value = flask_request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if kind.lower() == "bearer" else None


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


def server_metadata() -> dict:
    """What Authlib's claims classes check against (scopes are checked by client_fields,
    with a clearer message)."""
    return {
        "grant_types_supported": list(DCR_GRANT_TYPES),
        "token_endpoint_auth_methods_supported": list(DCR_AUTH_METHODS),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "subject_types_supported": ["public", "pairwise"],
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


class _RuleFirst:
    """Mixin for both endpoints: run our redirect URI rule before Authlib's claims."""

    def extract_client_metadata(self, request):
        _check_types(request.payload.data)
        check_redirect_uris(request.payload.data)
        return super().extract_client_metadata(request)


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
    "subject_type",
)
LIST_FIELDS = ("grant_types", "response_types", "post_logout_redirect_uris", "contacts")


def _check_types(metadata: dict) -> None:
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
    refused = sorted(set(scopes) - set(DCR_SCOPES))
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
    if client_name_taken(name, exclude_id):
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
        "id_token_alg": metadata.get("id_token_signed_response_alg") or "RS256",
        "subject_type": metadata.get("subject_type") or "public",
        "jwks": metadata.get("jwks"),
        "jwks_uri": metadata.get("jwks_uri"),
    }


def client_metadata(client: Any) -> dict:
    """The registered metadata of a client, as RFC 7591 names it (no secret: only its hash
    is kept)."""
    return {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.replace(tzinfo=UTC).timestamp()),
        "client_secret_expires_at": 0,
        **client.client_metadata,
    }


def _rule_error(error: Exception) -> Exception:
    """A ClientError of idp.oidc.clients → the RFC 7591 error, with its message."""
    if getattr(error, "field", None) == "redirect_uris":
        return InvalidRedirectURIError(ascii_text(str(error)))
    return InvalidClientMetadataError(ascii_text(str(error)))


def _ensure_secret(client: Any) -> str | None:
    """A client switched to a secret method without a secret gets one (returned once)."""
    if client.token_endpoint_auth_method in SECRET_METHODS and not client.client_secret_hash:
        return rotate_secret(client)
    return None


class RegistrationEndpoint(_RuleFirst, ClientRegistrationEndpoint):
    def __init__(self, server=None):
        super().__init__(server, claims_classes=CLAIMS_CLASSES)

    def authenticate_token(self, request):
        plain = _bearer()
        if not plain:
            raise InvalidTokenError("Registration needs an initial access token.")
        row = db.session.scalar(
            db.select(InitialAccessToken).where(
                InitialAccessToken.token_hash == secret_digest(plain)
            )
        )
        # The lookup is by hash (an index); compare again in constant time for form.
        if row is None or not matches_digest(row.token_hash, plain):
            raise InvalidTokenError("Unknown initial access token.")
        if not row.usable():
            raise InvalidTokenError("Initial access token expired, revoked or used up.")
        return row

    def get_server_metadata(self):
        return server_metadata()

    def create_registration_response(self, request):
        # Authlib's version makes its own client_id and secret; ours come from
        # idp.oidc.clients.create_client, so the (short) flow is written out here.
        initial = self.authenticate_token(request)
        request.credential = initial
        metadata = self.extract_client_metadata(request)
        fields = client_fields(metadata)
        _consume(initial)
        try:
            client, secret = create_client(**fields)
        except ClientError as error:
            db.session.rollback()
            raise _rule_error(error) from error
        registration_token = secrets.token_urlsafe(32)
        client.registration_access_token_hash = secret_digest(registration_token)
        audit.record(
            "client.registered",
            client_id=client.client_id,
            actor=initial.created_by,
            initial_access_token_id=initial.id,
        )
        db.session.commit()
        body = client_metadata(client)
        if secret:
            body["client_secret"] = secret
        body["registration_access_token"] = registration_token
        body["registration_client_uri"] = _client_uri(client)
        return 201, body, [("Content-Type", "application/json"), ("Cache-Control", "no-store")]


@dataclass
class RegistrationAccessToken:
    client_id: str

    def check_client(self, client: Any) -> bool:
        return client.client_id == self.client_id


def _client_uri(client: Any) -> str:
    return current_app.config["ISSUER"].rstrip("/") + url_for(
        "registration.configure", client_id=client.client_id
    )


class ConfigurationEndpoint(_RuleFirst, ClientConfigurationEndpoint):
    def __init__(self, server=None):
        super().__init__(server, claims_classes=CLAIMS_CLASSES)

    def authenticate_token(self, request):
        plain = _bearer()
        if not plain:
            raise InvalidTokenError("The registration access token is required.")
        client = db.session.scalar(
            db.select(Client).where(Client.registration_access_token_hash == secret_digest(plain))
        )
        # A token is valid for its own client only (RFC 7592 §3: otherwise 401).
        if client is None or client.client_id != flask_request.view_args.get("client_id"):
            raise InvalidTokenError("Unknown registration access token for this client.")
        return RegistrationAccessToken(client.client_id)

    def authenticate_client(self, request):
        client_id = flask_request.view_args.get("client_id")
        return db.session.scalar(db.select(Client).where(Client.client_id == client_id))

    def revoke_access_token(self, request, token):
        # A registration access token belongs to one client row and dies with it; a token
        # naming another client is refused by check_client. Nothing to revoke here.
        return None

    def check_permission(self, client, request):
        # A client an admin disabled cannot change (or delete) itself: 403.
        return client.registration_access_token_hash is not None and not client.disabled

    def get_server_metadata(self):
        return server_metadata()

    def introspect_client(self, client):
        return client_metadata(client)

    def generate_client_registration_info(self, client, request):
        # Only the hash is stored: the client keeps the token it presented.
        return {
            "registration_client_uri": _client_uri(client),
            "registration_access_token": _bearer(),
        }

    def update_client(self, client, client_metadata_, request):
        fields = client_fields(client_metadata_, exclude_id=client.id)
        try:
            update_client(client, **fields)
        except ClientError as error:
            db.session.rollback()
            raise _rule_error(error) from error
        request.new_secret = _ensure_secret(client)
        audit.record("client.updated_by_registration", client_id=client.client_id)
        db.session.commit()
        return client

    def create_read_client_response(self, client, request):
        status, body, headers = super().create_read_client_response(client, request)
        if getattr(request, "new_secret", None):
            body["client_secret"] = request.new_secret
        return status, body, headers

    def delete_client(self, client, request):
        client_id = client.client_id
        delete_client(client)
        audit.record("client.deleted_by_registration", client_id=client_id)
        db.session.commit()


class _LenientJsonPayload(FlaskJsonPayload):
    @property
    def data(self):
        data = self._request.get_json(silent=True)
        return data if isinstance(data, dict) else {}


class _LenientJsonRequest(FlaskJsonRequest):
    def __init__(self, req):
        super().__init__(req)
        self.payload = _LenientJsonPayload(req)


class RegistrationServer(AuthorizationServer):
    """Holds only the two registration endpoints (idp.oidc's server does the rest)."""

    def create_json_request(self, request):
        # A missing or malformed JSON body becomes a clean OAuth error, not a 415/400 page.
        return _LenientJsonRequest(flask_request)


def _server() -> RegistrationServer:
    return current_app.extensions["compte.registration"]


@bp.post("/oauth/register")
def register():
    return _server().create_endpoint_response(RegistrationEndpoint.ENDPOINT_NAME)


@bp.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])
def configure(client_id: str):
    response = _server().create_endpoint_response(ConfigurationEndpoint.ENDPOINT_NAME)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    server = RegistrationServer()
    server.register_endpoint(RegistrationEndpoint)
    server.register_endpoint(ConfigurationEndpoint)
    app.extensions["compte.registration"] = server
    # NUL and lone surrogates in the JSON body, malformed bearer tokens: refused before any
    # lookup or insert (PostgreSQL cannot store them).
    for endpoint in ("registration.register", "registration.configure"):
        guard.protect(app, endpoint, guard.registration_error, header="bearer")
    csrf.exempt(bp)  # bearer-token JSON API: no cookie, no CSRF
    app.register_blueprint(bp)
