"""private_key_jwt client authentication (RFC 7523) and its `jti` replay cache."""

from __future__ import annotations

import time
import uuid

import requests
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from joserfc import jwt

from tests.oidc.helpers import (
    ASSERTION_TYPE,
    signed_client,
)


def test_private_key_jwt_and_replayed_jti(app, live_server, make_rp):
    """private_key_jwt authenticates with a signed assertion; the same jti twice is refused."""
    rp, key = signed_client(make_rp)
    token_url = f"{live_server}/oauth/token"
    now = int(time.time())
    claims = {
        "iss": rp.client_id,
        "sub": rp.client_id,
        "aud": token_url,
        "exp": now + 60,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    assertion = jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    assert requests.post(token_url, data=data, timeout=5).status_code == 200
    replay = requests.post(token_url, data=data, timeout=5)
    assert replay.status_code in (400, 401) and replay.json()["error"] == "invalid_client"
    fresh = private_key_jwt_sign(key, rp.client_id, token_url, alg="ES256")
    data["client_assertion"] = fresh
    assert requests.post(token_url, data=data, timeout=5).status_code == 200
