"""Authlib endpoints: revocation (RFC 7009), introspection (RFC 7662), userinfo,
RP-initiated logout; plus the bearer token validator used by `require_oauth`."""

from __future__ import annotations

import time

from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError, InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint
from authlib.oidc.core import UserInfo
from authlib.oidc.core import UserInfoEndpoint as _UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint as _EndSessionEndpoint
from flask import current_app, g
from joserfc.jwk import KeySet

from idp.accounts.models import Account
from idp.audit import record
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.oidc import tokens, validity
from idp.oidc.capabilities import SUPPORTED
from idp.oidc.claims import subject_for, user_info
from idp.oidc.keys import keyring, signing_key
from idp.oidc.models import Client, Token
from idp.oidc.token_keys import lookup_key


class CompteBearerTokenValidator(BearerTokenValidator):
    """Bearer tokens: one indexed lookup, then the one rule of idp/oidc/validity.py."""

    def authenticate_token(self, token_string: str) -> Token | None:
        return tokens.find_by_access_token(token_string)

    def validate_token(self, token, scopes, request):
        if token is None or not validity.is_usable(
            validity.state_of(token, token.client, token.account, validity.ACCESS_TOKEN)
        ):
            raise InvalidTokenError(realm=self.realm, extra_attributes=self.extra_attributes)
        if self.scope_insufficient(token.get_scope(), scopes):
            raise InsufficientScopeError()


def _find_token(token_string: str, token_type_hint: str | None) -> Token | None:
    """The token row, noting in `g` which of its two tokens was presented."""
    token = tokens.find_token(token_string, token_type_hint)
    if token is not None:
        g.oidc_token_kind = (
            "refresh_token"
            if token.refresh_token_hash == lookup_key(token_string)
            else "access_token"
        )
    return token


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS = list(SUPPORTED.auth_methods)

    def query_token(self, token_string, token_type_hint):
        return _find_token(token_string, token_type_hint)

    def revoke_token(self, token: Token, request) -> None:
        # A refresh token takes its whole family with it; an access token goes alone
        # (its row also holds the paired refresh token, revoked with it).
        if g.get("oidc_token_kind") == "refresh_token":
            count = tokens.revoke_family(token.family_id)
        else:
            token.revoked_at = token.revoked_at or utcnow()
            count = 1
        record(
            "token.revoked",
            account=token.account_id,
            client_id=token.client_id,
            kind=g.get("oidc_token_kind"),
            tokens_revoked=count,
        )
        db.session.commit()


class IntrospectionEndpoint(_IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = list(SUPPORTED.confidential_auth_methods)

    def query_token(self, token_string, token_type_hint):
        return _find_token(token_string, token_type_hint)

    def check_permission(self, token: Token, client, request) -> bool:
        # A client may introspect the tokens it was issued.
        return token.client_id == client.client_id

    def create_introspection_payload(self, token: Token | None) -> dict:
        if token is None:
            return {"active": False}
        kind = g.get("oidc_token_kind") or validity.ACCESS_TOKEN
        if not validity.is_usable(validity.state_of(token, token.client, token.account, kind)):
            return {"active": False}
        return self.introspect_token(token)

    def introspect_token(self, token: Token) -> dict:
        return introspection_payload(token, token.client, token.account, g.get("oidc_token_kind"))


def introspection_payload(
    token: Token, client: Client, account: Account | None, kind: str | None
) -> dict:
    """RFC 7662's answer about a usable token (the lean path gives the same)."""
    refresh = kind == validity.REFRESH_TOKEN
    payload = {
        "active": True,
        "client_id": token.client_id,
        "token_type": validity.REFRESH_TOKEN if refresh else token.token_type,
        "scope": token.scope,
        "sub": subject_for(account, client) if account else token.client_id,
        "aud": token.client_id,
        "iss": current_app.config["ISSUER"],
        "exp": token.refresh_expires_at if refresh else token.get_expires_at(),
        "iat": token.issued_at,
    }
    if token.auth_time:
        payload["auth_time"] = token.auth_time
    return {k: v for k, v in payload.items() if v is not None}


class UserInfoEndpoint(_UserInfoEndpoint):
    """Authlib's userinfo: JSON, or a JWT (with iss and aud) when the client registered a
    userinfo_signed_response_alg (Client.client_metadata); signed by the current key of
    that algorithm, its kid in the header as in ID tokens."""

    def __call__(self, request):
        status, body, headers = super().__call__(request)
        if dict(headers).get("Content-Type") == "application/jwt":
            # Personal data, signed or not: never cached (Authlib says so for JSON only).
            headers = [*headers, ("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        return status, body, headers

    def generate_user_info(self, user, scope: str) -> UserInfo:
        token: Token = g.authlib_server_oauth2_token
        if user is None:  # a client_credentials token: there is no person to describe
            raise InvalidTokenError(description="This token does not belong to a person.")
        # With the claims the authorization asked for userinfo (its `userinfo` member).
        return user_info(user, token.client, scope, token.claims)

    def get_issuer(self) -> str:
        return current_app.config["ISSUER"]

    def get_supported_algorithms(self) -> list[str]:
        # Every algorithm Compte has keys for: a client keeps the one it registered with
        # even when the settings no longer offer it to new clients.
        return list(SUPPORTED.signing_algs)

    def resolve_private_key(self) -> KeySet:
        # Only called for a signed answer. A set of one key, so that joserfc writes its
        # kid in the JWS header (a relying party finds the key in JWKS by it).
        client: Client = g.authlib_server_oauth2_token.client
        return KeySet([signing_key(client.userinfo_signed_response_alg, time.time())])


class EndSessionEndpoint(_EndSessionEndpoint):
    """RP-initiated logout: the id_token_hint must be ours (signature and issuer; its
    expiry is ignored as the specification allows). The view ends the session."""

    def get_server_jwks(self):
        return keyring().public

    def get_algorithms(self) -> list[str]:
        # Our own tokens, whatever the settings switch on now (signed before, still ours).
        return list(SUPPORTED.signing_algs)

    def _validate_id_token_hint(self, id_token_hint: str) -> dict:
        from authlib.oauth2.rfc6749.errors import InvalidRequestError

        claims = super()._validate_id_token_hint(id_token_hint)
        if claims.get("iss") != current_app.config["ISSUER"]:
            raise InvalidRequestError("The id_token_hint was not issued by this provider.")
        return claims

    def end_session(self, end_session_request) -> None:
        # The view performs the logout (idp/accounts/sessions.finish_logout) and renders the
        # page with the front-channel iframes; nothing to do here.
        g.oidc_end_session_request = end_session_request
