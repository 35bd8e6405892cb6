"""Small helpers shared by the OpenID Provider tests (PKCE, authorization URLs), over real
HTTP and in-process (Flask's test client)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from joserfc.jwk import ECKey

from idp.oidc.models import Token

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


# In-process: the same protocol over HTTP with Flask's test client (no server, no browser).


def basic(rp) -> dict[str, str]:
    """The client_secret_basic Authorization header of a confidential client."""
    pair = f"{rp.client_id}:{rp.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def code_in_process(app, person, rp, challenge: str | None = None, **params) -> str:
    """The code a signed-in person's authorization request gives a first-party client
    (no consent page), obtained with the test client."""
    from tests.support.sessions import signed_in

    query = authorize_params(rp, challenge, **params)
    response = signed_in(app, person.id).get("/oauth/authorize", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].startswith(rp.redirect_uri)
    back = parse_qs(urlsplit(response.headers["Location"]).query)
    assert back["state"] == [query["state"]] and "error" not in back
    return back["code"][0]


def token_request(app, rp, **data):
    """POST /oauth/token in-process, authenticated with client_secret_basic."""
    return app.test_client().post("/oauth/token", data=data, headers=basic(rp))


def exchange_in_process(app, rp, code: str, verifier: str | None = None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    return token_request(app, rp, **data)


def refresh_in_process(app, rp, refresh_token: str):
    return token_request(app, rp, grant_type="refresh_token", refresh_token=refresh_token)


def tokens_in_process(app, person, rp, scope: str = "openid email offline_access") -> dict:
    """Code flow with PKCE, in-process: the token endpoint's answer (checked 200)."""
    verifier, challenge = pkce()
    code = code_in_process(app, person, rp, challenge, scope=scope)
    answer = exchange_in_process(app, rp, code, verifier)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def userinfo_status(app, access_token: str) -> int:
    """The status the userinfo endpoint answers for this bearer token."""
    headers = {"Authorization": f"Bearer {access_token}"}
    return app.test_client().get("/oauth/userinfo", headers=headers).status_code


def introspect(app, rp, token: str, **extra) -> dict:
    """The introspection endpoint's answer (RFC 7662) to this client, checked 200."""
    response = app.test_client().post(
        "/oauth/introspect", data={"token": token, **extra}, headers=basic(rp)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def revoke(app, rp, token: str, **extra):
    """POST /oauth/revoke (RFC 7009) in-process as this client."""
    return app.test_client().post(
        "/oauth/revoke", data={"token": token, **extra}, headers=basic(rp)
    )


def jwks_of(issuer: str):
    """The provider's published keys (JWKS), as a joserfc KeySet."""
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(requests.get(f"{issuer}/oauth/jwks", timeout=5).json())


def browser_tokens(live_server, browser, person, rp, **params) -> dict:
    """Code flow over real HTTP: the person's browser through login and consent, then the
    client's exchange with PKCE; the token endpoint's answer (checked 200)."""
    from tests.oidc.conftest import callback_params

    verifier, challenge = pkce()
    response = browser.authorize(authorize_url(live_server, rp, challenge, **params), person)
    code = callback_params(response)["code"]
    result = exchange(live_server, rp, code, verifier)
    assert result.status_code == 200, result.text
    return result.json()


def tokens_in_session(client, rp, scope: str = "openid") -> dict:
    """Code flow with PKCE, in-process, in the browser session of `client` (a signed-in
    test client): the service `rp` is then one this session opened. The token endpoint's
    answer (checked 200)."""
    verifier, challenge = pkce()
    query = authorize_params(rp, challenge, scope=scope)
    response = client.get("/oauth/authorize", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    answer = exchange_in_process(client.application, rp, code, verifier)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def stored_token(client_id: str, account_id: int, n: int, *, live: bool, **fields):
    """An oauth_token row (not added) whose access and refresh tokens have both expired,
    or one still usable (its access token expired, its refresh token not: a live row all
    the same); `n` makes its hashes and family unique."""
    now = int(time.time())
    old = now - 10 * 3600
    return Token(
        client_id=client_id,
        account_id=account_id,
        access_token_hash=f"{n:064x}",
        refresh_token_hash=f"{n + 10_000:064x}",
        family_id=f"family-{n}",
        issued_at=old,
        expires_in=60,
        refresh_expires_at=now + 3600 if live else old + 3600,
        **fields,
    )
