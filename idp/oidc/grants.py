"""Authlib grants and extensions wired to Compte's models.

What Authlib leaves to us is here: code storage and single use (a replayed code revokes
its tokens), nonce replay, refresh rotation with reuse detection, S256-only PKCE required
for public clients, pairwise subjects and `sid` in ID tokens, private_key_jwt `jti` replay.
"""

from __future__ import annotations

import logging
import time

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError, grants
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import grants as oidc_grants
from flask import current_app, g, session
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError

from idp.accounts.models import Account
from idp.audit import record
from idp.core.clock import utcnow
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.oidc import claims_request, tokens
from idp.oidc.bounds import PKCE_VALUE, assertion_claim_problem
from idp.oidc.capabilities import SUPPORTED, acr_for
from idp.oidc.claims import user_info
from idp.oidc.keys import client_alg, sign
from idp.oidc.models import AuthorizationCode, Client, SessionClient, UsedJti

log = logging.getLogger(__name__)


def _active(account: Account | None) -> Account | None:
    return account if account is not None and account.is_active else None


class CompteCodeChallenge(CodeChallenge):
    """PKCE: S256 only; required for public clients, honoured whenever sent."""

    SUPPORTED_CODE_CHALLENGE_METHOD = list(SUPPORTED.code_challenge_methods)

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        if grant.request.client.is_public and not challenge:
            raise InvalidRequestError("PKCE is required: send code_challenge (S256).")
        if challenge and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        if challenge and not PKCE_VALUE.fullmatch(challenge):
            # Authlib's pattern ends in `$`, which lets a final line break through (and
            # 129 characters into a 128-character column).
            raise InvalidRequestError("Invalid 'code_challenge'.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    # Every supported method: those the settings switch off are refused by the client
    # model (Client.check_endpoint_auth_method), at every endpoint at once.
    TOKEN_ENDPOINT_AUTH_METHODS = list(SUPPORTED.auth_methods)

    def save_authorization_code(self, code: str, request) -> AuthorizationCode:
        data = request.payload.data
        try:
            # Validated by the authorization view before the code is issued.
            claims = claims_request.parse(data.get("claims"))
        except claims_request.ClaimsRequestError:
            claims = claims_request.ClaimsRequest()
        sid = session.get("sid")
        amr = list(session.get("amr") or ["pwd"])
        row = AuthorizationCode(
            code_hash=secret_digest(code),
            client_id=request.client.client_id,
            account_id=request.user.id,
            redirect_uri=request.payload.redirect_uri or "",
            response_type=request.payload.response_type or "code",
            scope=request.scope or "",
            nonce=data.get("nonce") or None,
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            auth_time=int(session.get("auth_time") or time.time()),
            acr=claims.acr_to_report(acr_for(amr)),
            amr=amr,
            sid=sid,
            claims=claims.to_store(),
            expires_at=int(time.time()) + int(current_app.config["AUTHORIZATION_CODE_LIFETIME"]),
        )
        db.session.add(row)
        if sid:
            known = db.session.scalar(
                db.select(SessionClient.id).where(
                    SessionClient.sid == sid, SessionClient.client_id == row.client_id
                )
            )
            if known is None:
                db.session.add(SessionClient(sid=sid, client_id=row.client_id))
        db.session.commit()
        return row

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        row = db.session.scalar(
            db.select(AuthorizationCode).where(AuthorizationCode.code_hash == secret_digest(code))
        )
        if row is None or row.client_id != client.client_id:
            return None
        taken = db.session.execute(
            db.update(AuthorizationCode)
            .where(AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            # Replay: refuse, and revoke what the first use obtained (RFC 6749 4.1.2).
            count = tokens.revoke_from_code(row.id)
            record(
                "code.replayed",
                account=row.account_id,
                client_id=row.client_id,
                tokens_revoked=count,
            )
            db.session.commit()
            return None
        if row.is_expired():
            return None
        return row

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        # Kept (marked used) so that a replay is recognised; purged once expired.
        pass

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Account | None:
        return _active(authorization_code.account)


class OpenIDCode(oidc_grants.OpenIDCode):
    """ID tokens: our keys (kid), pairwise `sub`, `sid`, no null nonce."""

    def exists_nonce(self, nonce: str, request) -> bool:
        return (
            db.session.scalar(
                db.select(AuthorizationCode.id).where(
                    AuthorizationCode.client_id == request.payload.client_id,
                    AuthorizationCode.nonce == nonce,
                )
            )
            is not None
        )

    def get_authorization_code_claims(self, authorization_code: AuthorizationCode) -> dict:
        claims = super().get_authorization_code_claims(authorization_code)
        if authorization_code.sid:
            claims["sid"] = authorization_code.sid
        return claims

    def encode_id_token(self, token: dict, request) -> str:
        # Re-implemented (Authlib's version has no access to the client in
        # generate_user_info, which a pairwise `sub` needs) with Authlib's helpers.
        from authlib.oidc.core.util import create_half_hash

        client: Client = request.client
        alg = client_alg(client)
        now = int(time.time())
        claims = {
            "iss": current_app.config["ISSUER"],
            "aud": client.client_id,
            "iat": now,
            "exp": now + int(current_app.config["ID_TOKEN_LIFETIME"]),
        }
        if request.authorization_code:
            claims.update(self.get_authorization_code_claims(request.authorization_code))
        at_hash = create_half_hash(token["access_token"], alg)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
        # The claims its scope releases, and those the claims parameter asks for the ID
        # token (OpenID Connect Core 5.5); the userinfo member goes to the token row.
        asked = (request.authorization_code.claims or {}) if request.authorization_code else {}
        claims.update(
            user_info(request.user, client, token.get("scope", ""), asked.get("id_token"))
        )
        return sign(claims, alg, "JWT")


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """Rotation: each use gives a new refresh token; reusing an old one revokes the family."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(SUPPORTED.auth_methods)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        # The client is authenticated by now (Authlib checks it first).
        token = tokens.claim_refresh_token(refresh_token, self.request.client)
        if token is not None:
            g.compte_rotated_token_id = token.id  # its answer is kept for a retry
        return token

    def authenticate_user(self, refresh_token) -> Account | None:
        return _active(refresh_token.account)

    def revoke_old_credential(self, refresh_token) -> None:
        # Already marked rotated (atomically) by claim_refresh_token.
        pass


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """Service clients (no person): tokens with `current_token.account` None."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(SUPPORTED.confidential_auth_methods)


def _fetch_jwks(uri: str) -> dict:
    """A client's jwks_uri, cached per process for OIDC_JWKS_URI_CACHE seconds."""
    import requests  # imported at first use: about 5 MB per worker (docs/benchmarks.md)

    cache: dict = current_app.extensions.setdefault("compte.client_jwks", {})
    ttl = int(current_app.config["OIDC_JWKS_URI_CACHE"])
    hit = cache.get(uri)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]
    response = requests.get(uri, timeout=5)
    response.raise_for_status()
    data = response.json()
    cache[uri] = (time.monotonic(), data)
    return data


class PrivateKeyJWT(JWTBearerClientAssertion):
    """private_key_jwt client authentication (RFC 7523) with a `jti` replay cache."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def get_audiences(self) -> list[str]:
        issuer = current_app.config["ISSUER"]
        return [
            issuer,
            f"{issuer}/oauth/token",
            f"{issuer}/oauth/revoke",
            f"{issuer}/oauth/introspect",
        ]

    def verify_claims(self, claims) -> None:
        # sub, iss and jti reach queries and the replay table: strings, bounded, no NUL.
        if violation := assertion_claim_problem(claims):
            raise InvalidClientError(description=violation.description)
        super().verify_claims(claims)

    def validate_jti(self, claims, jti: str) -> bool:
        now = int(time.time())
        # Kept until the assertion expires, within what the INTEGER column holds.
        expires = min(int(claims.get("exp") or now + 600), 2**31 - 1)
        entry = UsedJti(client_id=claims["sub"], jti=jti, expires_at=expires)
        try:
            # Own transaction, committed at once: a failed request must not free the jti.
            with db.session.begin_nested():
                db.session.add(entry)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return False
        return True

    def resolve_client_public_key(self, client: Client) -> KeySet:
        import requests

        try:
            if client.jwks:
                return KeySet.import_key_set(client.jwks)
            if client.jwks_uri:
                return KeySet.import_key_set(_fetch_jwks(client.jwks_uri))
        except (requests.RequestException, ValueError, JoseError) as error:
            # The client's keys are unreachable or unusable: its authentication fails.
            log.warning("keys of client %s unusable: %s", client.client_id, type(error).__name__)
            raise InvalidClientError(description="The client's keys cannot be used.") from None
        return KeySet([])
