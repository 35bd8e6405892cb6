"""The sign-in at an upstream provider, with Authlib's OAuth 2.0 client: the code flow with
PKCE (S256), `state`, `nonce` and the provider's `acr_values`; then, at the callback, the
code exchanged, the ID token verified (idp/federation/verify.py), the userinfo fetched
(JSON or a signed JWT) and its `sub` compared with the ID token's.

The pending requests live in the browser's session, one per `state` (a person may have
two tabs), MAX_PENDING at most, each PENDING_LIFETIME seconds."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from flask import session

from idp.federation import discovery, providers, verify
from idp.federation.errors import FederationError
from idp.federation.models import UpstreamProvider

log = logging.getLogger(__name__)

PENDING_KEY = "federation_pending"
PENDING_LIFETIME = 600
MAX_PENDING = 3
# What Compte keeps of the provider's claims: what registration and the pivot identity
# use (FranceConnect: given_name, family_name, birthdate, gender, birthplace,
# birthcountry; ProConnect: usual_name, uid, siret), never tokens.
KEPT_CLAIMS = (
    "sub",
    "email",
    "email_verified",
    "given_name",
    "family_name",
    "usual_name",
    "preferred_username",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "uid",
    "siret",
    "phone_number",
    "acr",
)
PIVOT_CLAIMS = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
# Kinds whose e-mail addresses the federation has checked (FranceConnect, ProConnect).
VOUCHED_KINDS = ("franceconnect", "proconnect")


@dataclass
class Identity:
    """Who the provider says the person is, verified."""

    provider: str  # the provider's name
    kind: str
    subject: str
    claims: dict[str, Any] = field(default_factory=dict)
    id_token: str = ""
    next_url: str | None = None
    # The `sub` of the signed-in account that asked to add this provider (security page).
    link_for: str | None = None

    @property
    def email(self) -> str | None:
        value = self.claims.get("email")
        return value.strip().lower() if isinstance(value, str) and "@" in value else None

    @property
    def email_vouched(self) -> bool:
        """The provider checked the address (it says so, or its federation always does)."""
        return bool(self.email) and (
            self.kind in VOUCHED_KINDS or self.claims.get("email_verified") is True
        )

    @property
    def pivot_identity(self) -> dict[str, Any] | None:
        """FranceConnect's pivot identity, as given (never used to derive a NIR)."""
        if self.kind != "franceconnect":
            return None
        found = {k: self.claims[k] for k in PIVOT_CLAIMS if self.claims.get(k) is not None}
        return found or None


def _client(provider: UpstreamProvider, meta: dict[str, Any]) -> OAuth2Session:
    secret = providers.client_secret(provider)
    supported = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not secret:
        method = "none"  # a public client: PKCE alone
    elif "client_secret_basic" in supported or "client_secret_post" not in supported:
        method = "client_secret_basic"
    else:
        method = "client_secret_post"
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=secret,
        token_endpoint_auth_method=method,
        scope=provider.scope,
        redirect_uri=providers.redirect_uri(provider),
        code_challenge_method="S256",
        default_timeout=discovery.timeout(),
    )


# --- The pending requests ---------------------------------------------------------------


def _pending() -> dict[str, dict[str, Any]]:
    found = session.get(PENDING_KEY)
    if not isinstance(found, dict):
        return {}
    now = int(time.time())
    return {
        state: entry
        for state, entry in found.items()
        if isinstance(entry, dict) and now - int(entry.get("at") or 0) <= PENDING_LIFETIME
    }


def _remember(state: str, entry: dict[str, Any]) -> None:
    kept = _pending()
    kept[state] = entry
    newest = sorted(kept.items(), key=lambda item: item[1]["at"])[-MAX_PENDING:]
    session[PENDING_KEY] = dict(newest)


def _take(provider: UpstreamProvider, state: str | None) -> dict[str, Any]:
    """The pending request of `state`, forgotten (a state serves once)."""
    if not state:
        raise FederationError("state_missing", "no state in the callback")
    stored = session.get(PENDING_KEY)
    stored = stored if isinstance(stored, dict) else {}
    entry = stored.pop(state, None) if isinstance(state, str) and len(state) < 200 else None
    session[PENDING_KEY] = stored
    if not isinstance(entry, dict) or entry.get("provider") != provider.name:
        raise FederationError("state_unknown", "no pending request for this state")
    if int(time.time()) - int(entry.get("at") or 0) > PENDING_LIFETIME:
        raise FederationError("state_expired", "pending request too old")
    return entry


def next_url_of(state: str | None) -> str | None:
    """Where the person was going, for a pending request (the error page's way back)."""
    entry = session.get(PENDING_KEY, {}).get(state) if isinstance(state, str) else None
    return entry.get("next") if isinstance(entry, dict) else None


# --- The two legs ------------------------------------------------------------------------


def start(provider: UpstreamProvider, next_url: str | None, *, link_for: str | None = None) -> str:
    """The address of the provider's authorization endpoint for a new sign-in (or, with
    `link_for`, for adding the provider to that signed-in account)."""
    meta = discovery.metadata(provider)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # RFC 7636: 43 to 128 characters
    extra = {"nonce": nonce}
    if provider.acr_values:
        extra["acr_values"] = provider.acr_values
    url, _state = _client(provider, meta).create_authorization_url(
        meta["authorization_endpoint"], state=state, code_verifier=verifier, **extra
    )
    _remember(
        state,
        {
            "provider": provider.name,
            "nonce": nonce,
            "verifier": verifier,
            "next": next_url,
            "link_for": link_for,
            "at": int(time.time()),
        },
    )
    return url


def finish(provider: UpstreamProvider, args: dict[str, str]) -> Identity:
    """The callback: the verified identity, or FederationError."""
    entry = _take(provider, args.get("state"))
    error = args.get("error")
    if error:
        reason = "access_denied" if error == "access_denied" else "upstream_error"
        raise FederationError(reason, f"error={error[:40]!r}")
    meta = discovery.metadata(provider)
    # RFC 9207: the response names its issuer (against mix-up attacks): required when the
    # provider says it sends it, checked whenever present.
    iss = args.get("iss")
    if iss is None and meta.get("authorization_response_iss_parameter_supported") is True:
        raise FederationError("iss_missing", "no iss in the authorization response")
    if iss is not None and iss != provider.issuer:
        raise FederationError("iss_mismatch", "iss of the authorization response")
    code = args.get("code")
    if not code or len(code) > 2000:
        raise FederationError("upstream_error", "no code")
    client = _client(provider, meta)
    try:
        token = client.fetch_token(
            meta["token_endpoint"], code=code, code_verifier=entry["verifier"]
        )
    except (requests.RequestException, AuthlibBaseError, ValueError) as failure:
        raise FederationError("token_failed", type(failure).__name__) from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise FederationError("bad_token", "no id_token in the token response")
    secret = providers.client_secret(provider)
    claims = verify.decode(provider, id_token, secret=secret)
    verify.check_id_token(provider, claims, nonce=entry["nonce"])
    if meta.get("userinfo_endpoint"):
        claims = {**claims, **_userinfo(provider, client, meta, claims["sub"], secret)}
    kept = {k: claims[k] for k in KEPT_CLAIMS if k in claims and _small(claims[k])}
    return Identity(
        provider=provider.name,
        kind=provider.kind,
        subject=claims["sub"],
        claims=kept,
        id_token=id_token,
        next_url=entry.get("next"),
        link_for=entry.get("link_for"),
    )


def _small(value: Any) -> bool:
    return isinstance(value, str | bool | int) and len(str(value)) <= 255


def _userinfo(
    provider: UpstreamProvider,
    client: OAuth2Session,
    meta: dict[str, Any],
    subject: str,
    secret: str | None,
) -> dict[str, Any]:
    """OpenID Connect Core 5.3: JSON, or a JWT signed by the provider (FranceConnect and
    ProConnect v2), about the same subject as the ID token."""
    try:
        response = client.get(meta["userinfo_endpoint"], headers={"Accept": "application/json"})
        response.raise_for_status()
    except (requests.RequestException, AuthlibBaseError, ValueError) as failure:
        raise FederationError("userinfo_failed", type(failure).__name__) from None
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind == "application/jwt":
        claims = verify.decode(
            provider,
            response.text.strip(),
            secret=secret,
            algorithms_key="userinfo_signing_alg_values_supported",
        )
        verify.check_signed_userinfo(provider, claims)
    else:
        try:
            claims = response.json()
        except ValueError:
            raise FederationError("userinfo_failed", "not JSON") from None
    if not isinstance(claims, dict) or claims.get("sub") != subject:
        raise FederationError("sub_mismatch", "userinfo sub differs from the ID token's")
    return claims
