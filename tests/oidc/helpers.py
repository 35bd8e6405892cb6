"""Small helpers shared by the OpenID Provider tests (PKCE, authorization URLs)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import requests
from joserfc.jwk import ECKey

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def pkce() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(rp, challenge: str | None = None, **params) -> dict[str, str]:
    """A code-flow authorization request's parameters (None values left out)."""
    query = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
    }
    if challenge:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    query.update(params)
    return {k: v for k, v in query.items() if v is not None}


def authorize_url(issuer: str, rp, challenge: str | None = None, **params) -> str:
    return f"{issuer}/oauth/authorize?{urlencode(authorize_params(rp, challenge, **params))}"


def exchange(issuer: str, rp, code: str, verifier: str | None = None, **extra) -> requests.Response:
    """POST the code to the token endpoint with client_secret_basic."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    data.update(extra)
    auth = (rp.client_id, rp.client_secret) if rp.client_secret else None
    if auth is None:
        data.setdefault("client_id", rp.client_id)
    return requests.post(f"{issuer}/oauth/token", data=data, auth=auth, timeout=10)


def refresh(issuer: str, rp, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{issuer}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(rp.client_id, rp.client_secret),
        timeout=10,
    )


def userinfo(issuer: str, access_token: str) -> requests.Response:
    return requests.get(
        f"{issuer}/oauth/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    )


def signed_client(make_rp, name: str = "Signed", **metadata):
    """A client_credentials client that authenticates with private_key_jwt, and its ES256
    key (published in its `jwks` unless `metadata` gives a `jwks_uri`)."""
    key = ECKey.generate_key("P-256", parameters={"alg": "ES256"}, private=True, auto_kid=True)
    if "jwks_uri" not in metadata:
        metadata["jwks"] = {"keys": [key.as_dict(private=False)]}
    rp = make_rp(
        name,
        redirect_uris=(),
        grant_types=["client_credentials"],
        scopes=["invitations"],
        auth_method="private_key_jwt",
        **metadata,
    )
    return rp, key
