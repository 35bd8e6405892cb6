"""The Authlib authorization server and resource protector, built per app.

`build(app)` (called by idp.oidc.views.init_app) creates a fresh AuthorizationServer and
ResourceProtector for that app and keeps them in `app.extensions["compte.oauth"]`, so
that several apps (tests, instances) never share state. `require_oauth` is a module-level
ResourceProtector usable as a decorator anywhere: it delegates to the current app's.

    from idp.oidc.server import current_token, require_oauth

    @bp.get("/api/things")
    @require_oauth("launcher")
    def things():
        account = current_token.account   # None for client_credentials tokens
        client = current_token.client
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.integrations.flask_oauth2.requests import FlaskJsonPayload, FlaskJsonRequest
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, Response, current_app
from flask import request as flask_request

from idp.oidc import endpoints, grants, tokens
from idp.oidc.bounds import valid_client_id
from idp.oidc.capabilities import enabled
from idp.oidc.client_registration_endpoints import ConfigurationEndpoint, RegistrationEndpoint
from idp.oidc.clients import get_client
from idp.oidc.models import Client

__all__ = ["OAuthState", "build", "current_token", "oauth", "require_oauth"]

EXTENSION_KEY = "compte.oauth"


@dataclass
class OAuthState:
    server: AuthorizationServer
    resource_protector: ResourceProtector


def query_client(client_id: str) -> Client | None:
    """An enabled client by client_id (disabled clients do not exist for OAuth)."""
    # The last guard before the database: a NUL, a lone surrogate or an over-long value
    # (from a Basic header or an assertion's `sub`) would make PostgreSQL fail.
    if not valid_client_id(client_id):
        return None
    client = get_client(client_id)
    return client if client is not None and not client.disabled else None


class _LenientJsonPayload(FlaskJsonPayload):
    @property
    def data(self):
        data = self._request.get_json(silent=True)
        return data if isinstance(data, dict) else {}


class _LenientJsonRequest(FlaskJsonRequest):
    def __init__(self, req):
        super().__init__(req)
        self.payload = _LenientJsonPayload(req)


class CompteAuthorizationServer(AuthorizationServer):
    """Authlib's server, with a JSON body read leniently (only the registration endpoints
    read JSON): a missing or malformed body becomes a clean OAuth error, not a 415/400."""

    def create_json_request(self, request):
        return _LenientJsonRequest(flask_request)

    def create_authorization_error_response(self, error: OAuth2Error) -> Response:
        """An authorization error found before Authlib's own flow (login_required,
        consent_required, a bound broken…), sent to the validated redirect URI with the
        hooks of every authorization response (RFC 9207's `iss`, `IssuerInResponse`)."""
        response = self.handle_error_response(None, error)
        self.execute_hook("after_create_authorization_response", response)
        return response


class IssuerInResponse(IssuerParameter):
    """RFC 9207: every authorization response, success or error, names its issuer (`iss`)
    so that a client talking to several providers knows which one answered. Authlib's hook
    runs after `create_authorization_response` and `create_authorization_error_response`;
    response_mode=form_post reads the redirect it made (idp/oidc/views.py `_form_post`)."""

    def get_issuer(self) -> str:
        return current_app.config["ISSUER"]


def build(app: Flask) -> OAuthState:
    # Authlib logs issued tokens at DEBUG ("Issue token %r"): never let secrets reach logs.
    logging.getLogger("authlib").setLevel(logging.INFO)
    server = CompteAuthorizationServer(query_client=query_client, save_token=tokens.save_token)
    server.init_app(app)
    server.register_token_generator("default", tokens.generate_token)
    server.register_client_auth_method("private_key_jwt", grants.PrivateKeyJWT(leeway=60))
    server.register_extension(IssuerInResponse())

    server.register_grant(
        grants.AuthorizationCodeGrant,
        [grants.CompteCodeChallenge(required=True), grants.OpenIDCode(require_nonce=False)],
    )
    # A grant type the settings switch off is not registered: unsupported_grant_type.
    offered = enabled(app.config).grant_types
    if "refresh_token" in offered:
        server.register_grant(grants.RefreshTokenGrant)
    if "client_credentials" in offered:
        server.register_grant(grants.ClientCredentialsGrant)

    protector = ResourceProtector()
    protector.register_token_validator(endpoints.CompteBearerTokenValidator())

    server.register_endpoint(endpoints.RevocationEndpoint)
    server.register_endpoint(endpoints.IntrospectionEndpoint)
    server.register_endpoint(endpoints.UserInfoEndpoint(resource_protector=protector))
    server.register_endpoint(endpoints.EndSessionEndpoint)
    # Dynamic Client Registration (RFC 7591/7592); routed by idp.oidc.client_registration.
    server.register_endpoint(RegistrationEndpoint)
    server.register_endpoint(ConfigurationEndpoint)

    state = OAuthState(server=server, resource_protector=protector)
    app.extensions[EXTENSION_KEY] = state
    return state


def oauth() -> OAuthState:
    """The current app's authorization server and resource protector."""
    return current_app.extensions[EXTENSION_KEY]


class _AppResourceProtector(ResourceProtector):
    """Delegates token validation to the current app's protector."""

    def __init__(self) -> None:
        super().__init__()
        self._default_auth_type = "bearer"

    def validate_request(self, scopes, request, **kwargs):
        return oauth().resource_protector.validate_request(scopes, request, **kwargs)


require_oauth = _AppResourceProtector()
