"""Access and refresh tokens: generation (opaque or RFC 9068 JWT), storage as hashes,
one-query lookup, revocation of a whole refresh family."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from flask import current_app

from idp.accounts.models import Account
from idp.audit import record
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import SealError, seal, unseal
from idp.oidc.claims import subject_for
from idp.oidc.keys import client_alg, sign
from idp.oidc.models import Client, Token
from idp.oidc.token_keys import lookup_key, new_family_id, new_token


def issuer() -> str:
    return current_app.config["ISSUER"]


def _jwt_access_token(client: Client, user: Account | None, scope: str, expires_in: int) -> str:
    """An RFC 9068 access token (typ at+jwt), signed with the client's ID token algorithm."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer(),
        "exp": now + expires_in,
        "aud": client.client_id,
        "sub": subject_for(user, client) if user else client.client_id,
        "client_id": client.client_id,
        "iat": now,
        "jti": secrets.token_urlsafe(16),
        "scope": scope,
    }
    return sign(claims, client_alg(client), "at+jwt")


def generate_token(
    grant_type: str,
    client: Client,
    user: Account | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict:
    """Authlib token generator ("default"): opaque or JWT per client; a refresh token
    only for refresh-capable clients granted offline_access (or when rotating)."""
    scope = client.get_allowed_scope(scope) or ""
    expires_in = expires_in or int(current_app.config["ACCESS_TOKEN_LIFETIME"])
    if client.access_token_format == "jwt":  # noqa: S105
        access_token = _jwt_access_token(client, user, scope, expires_in)
    else:
        access_token = new_token()
    token = {"token_type": "Bearer", "access_token": access_token, "expires_in": expires_in}
    wants_refresh = include_refresh_token and client.check_grant_type("refresh_token")
    if grant_type == "authorization_code":
        wants_refresh = wants_refresh and "offline_access" in scope.split()
    if grant_type == "client_credentials" or user is None:
        wants_refresh = False
    if wants_refresh:
        token["refresh_token"] = new_token()
    if scope:
        token["scope"] = scope
    return token


def save_token(token: dict, request: Any) -> Token:
    """Store a freshly issued token (hashes only) and audit it. Not committed: the token
    view commits once the response (ID token included) is built."""
    client: Client = request.client
    user = request.user
    parent: Token | None = getattr(request, "refresh_token", None)
    code = getattr(request, "authorization_code", None)
    row = Token(**token_values(token, client, user, parent, code))
    db.session.add(row)
    record(
        "token.issued",
        account=user,
        client_id=client.client_id,
        **issued_details(request.payload.grant_type if request.payload else None, row.scope, token),
    )
    return row


def token_values(
    token: dict,
    client: Client,
    user: Account | None,
    parent: Token | None = None,
    code: Any = None,
) -> dict[str, Any]:
    """The oauth_token row of an issued token: its hashes, its family (a new one, or its
    parent's), what it inherits from its code or parent (sid, auth_time, and the claims
    the userinfo endpoint was asked for: the code's claims request's `userinfo` member)."""
    now = int(time.time())
    origin = code if code is not None else parent
    if code is not None:
        asked = (code.claims or {}).get("userinfo") or None
    else:
        asked = parent.claims if parent is not None else None
    return {
        "client_id": client.client_id,
        "account_id": user.id if user is not None else None,
        "token_type": token.get("token_type", "Bearer"),
        "access_token_hash": lookup_key(token["access_token"]),
        "refresh_token_hash": lookup_key(token["refresh_token"])
        if token.get("refresh_token")
        else None,
        "family_id": parent.family_id if parent is not None else new_family_id(),
        "parent_id": parent.id if parent is not None else None,
        "scope": token.get("scope", ""),
        "issued_at": now,
        "expires_in": int(token.get("expires_in", 0)),
        "refresh_expires_at": (
            now + int(current_app.config["REFRESH_TOKEN_LIFETIME"])
            if token.get("refresh_token")
            else None
        ),
        "code_id": code.id if code is not None else (parent.code_id if parent else None),
        "sid": origin.sid if origin is not None else None,
        "auth_time": origin.auth_time if origin is not None else None,
        "claims": asked,
    }


def issued_details(grant_type: str | None, scope: str, token: dict) -> dict[str, Any]:
    """The details of a `token.issued` audit event (never a token)."""
    return {"grant_type": grant_type, "scope": scope, "refresh": bool(token.get("refresh_token"))}


def answer_body(token: dict) -> bytes:
    """A token response's JSON, as the full path writes it (keys sorted)."""
    return json.dumps(token, sort_keys=True).encode()


def find_by_access_token(value: str) -> Token | None:
    """The token row for an access token: one indexed query (client and account joined)."""
    if not value:
        return None
    return db.session.scalar(db.select(Token).where(Token.access_token_hash == lookup_key(value)))


def find_by_refresh_token(value: str) -> Token | None:
    if not value:
        return None
    return db.session.scalar(db.select(Token).where(Token.refresh_token_hash == lookup_key(value)))


def find_token(value: str, hint: str | None = None) -> Token | None:
    """Access or refresh token, trying the hinted kind first (RFC 7009 / 7662)."""
    finders = [find_by_access_token, find_by_refresh_token]
    if hint == "refresh_token":
        finders.reverse()
    for finder in finders:
        token = finder(value)
        if token is not None:
            return token
    return None


def revoke_family(family_id: str) -> int:
    """Revoke every token that descends from the same authorization. Not committed.

    Families with more than one token (rotation) or from a code always belong to a
    person; `account_id IS NOT NULL` says so to PostgreSQL, which then uses the partial
    index on family_id (a client_credentials token, alone in its family, is not in it)."""
    result = db.session.execute(
        db.update(Token)
        .where(
            Token.family_id == family_id,
            Token.account_id.is_not(None),
            Token.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def revoke_from_code(code_id: int) -> int:
    """Revoke every token issued from an authorization code (code replay). Not committed."""
    families = list(db.session.scalars(db.select(Token.family_id).where(Token.code_id == code_id)))
    return sum(revoke_family(family) for family in set(families))


class RepeatAnswer(Exception):  # noqa: N818 - not an error: the answer to send again
    """A client retried a refresh whose answer it lost, within the grace: send it again."""

    def __init__(self, body: str) -> None:
        super().__init__("repeat the previous answer")
        self.body = body


def reuse_grace() -> int:
    return int(current_app.config["REFRESH_TOKEN_REUSE_GRACE"])


def claim_refresh_token(value: str, client: Client) -> Token | None:
    """Take a refresh token for rotation, atomically.

    A token already rotated is either a retry (same client, within REFRESH_TOKEN_REUSE_GRACE
    seconds, the new token not used yet: raises RepeatAnswer with the sealed answer kept
    for it) or a reuse: the whole family is revoked (and audited), None is returned and
    the change is committed."""
    token = find_by_refresh_token(value)
    if token is None or token.revoked_at is not None or token.is_refresh_token_expired():
        return None
    claimed = db.session.execute(
        db.update(Token)
        .where(Token.id == token.id, Token.rotated_at.is_(None), Token.revoked_at.is_(None))
        .values(rotated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:
        if token.parent_id is not None:
            # The new token is in use: its parent's answer will never be needed again.
            db.session.execute(
                db.update(Token).where(Token.id == token.parent_id).values(retry_answer=None)
            )
        return token
    db.session.refresh(token)  # what the rotation that won has committed
    answer = _retry_answer(token, client)
    if answer is not None:
        record("token.refresh_retried", account=token.account_id, client_id=token.client_id)
        db.session.commit()
        raise RepeatAnswer(answer)
    count = revoke_family(token.family_id)
    record(
        "token.refresh_reuse_detected",
        account=token.account_id,
        client_id=token.client_id,
        family=token.family_id,
        tokens_revoked=count,
    )
    db.session.commit()
    return None


def _retry_answer(token: Token, client: Client) -> str | None:
    """The sealed answer of `token`'s rotation when a retry may have it, else None."""
    grace = reuse_grace()
    if (
        grace <= 0
        or token.retry_answer is None
        or token.revoked_at is not None
        or token.rotated_at is None
        or token.client_id != client.client_id
        or (utcnow() - token.rotated_at).total_seconds() > grace
    ):
        return None
    child = db.session.scalar(db.select(Token).where(Token.parent_id == token.id))
    if child is None or child.rotated_at is not None or child.revoked_at is not None:
        return None
    try:
        return unseal(token.retry_answer)
    except SealError:
        return None


def keep_answer_for_retry(token_id: int, body: str) -> None:
    """Keep (sealed) the answer of the rotation of token `token_id` for a retry within the
    grace. In the caller's transaction."""
    if reuse_grace() > 0:
        db.session.execute(
            db.update(Token).where(Token.id == token_id).values(retry_answer=seal(body))
        )
