"""A stand-in OpenID provider for the relying parties' unit tests: discovery and a JWKS
served over real HTTP, with keys the tests sign logout tokens with."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, jsonify
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from clients.common.logout_token import BACKCHANNEL_EVENT
from tests.support.servers import free_port, serve_wsgi

CLIENT_ID = "formadist-test"


@dataclass
class StandInIssuer:
    url: str
    keys: list = field(default_factory=list)

    def jwks(self) -> dict[str, Any]:
        return KeySet(self.keys).as_dict(private=False)

    def rotate(self) -> None:
        self.keys.insert(0, RSAKey.generate_key(2048, parameters={"kid": uuid.uuid4().hex}))

    def logout_token(self, key=None, header: dict | None = None, **overrides: Any) -> str:
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "iat": int(time.time()),
            "jti": uuid.uuid4().hex,
            "sid": "sid-1",
            "sub": "sub-1",
            "events": {BACKCHANNEL_EVENT: {}},
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        key = key or self.keys[0]
        alg = "ES256" if isinstance(key, ECKey) else "RS256"
        head = {"alg": alg, "kid": key.kid, "typ": "logout+jwt", **(header or {})}
        return jwt.encode(head, claims, key)


@pytest.fixture(scope="session")
def rsa_key():
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.fixture
def test_issuer(rsa_key) -> Iterator[StandInIssuer]:
    """Discovery + JWKS over HTTP on a free port."""
    port = free_port()
    issuer = StandInIssuer(url=f"http://127.0.0.1:{port}", keys=[rsa_key])
    op = Flask("test_issuer")

    @op.get("/.well-known/openid-configuration")
    def discovery():
        return jsonify(
            issuer=issuer.url,
            authorization_endpoint=f"{issuer.url}/oauth/authorize",
            token_endpoint=f"{issuer.url}/oauth/token",
            userinfo_endpoint=f"{issuer.url}/oauth/userinfo",
            jwks_uri=f"{issuer.url}/oauth/jwks",
            end_session_endpoint=f"{issuer.url}/oauth/logout",
        )

    @op.get("/oauth/jwks")
    def jwks():
        return jsonify(issuer.jwks())

    with serve_wsgi(op, port):
        yield issuer


@pytest.fixture
def rp_app(test_issuer: StandInIssuer, tmp_path):
    """Formadist, pointed at the stand-in issuer, with its own SQLite database."""
    from clients.formadist import create_app

    app = create_app(
        {
            "ISSUER": test_issuer.url,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": "secret",
            "BASE_URL": "http://127.0.0.1:5999",
            "SECRET_KEY": "rp-test-secret",
            "INSTANCE_PATH": str(tmp_path / "formadist"),
            "TESTING": True,
            "JWKS_REFRESH_INTERVAL": 0,
        }
    )
    yield app
    from clients.common.db import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def open_session(app, client, *, sub="sub-1", sid="sid-1", claims=None) -> str:
    """Put a signed-in session in the RP's database and its cookie in `client`."""
    import secrets

    from clients.common.db import LoginSession, db

    login_id = secrets.token_urlsafe(16)
    with app.app_context():
        db.session.add(
            LoginSession(
                id=login_id,
                sub=sub,
                sid=sid,
                id_token="x.y.z",
                access_token="at",
                refresh_token=None,
                expires_at=int(time.time()) + 600,
                claims=claims or {"sub": sub, "given_name": "Ivan", "family_name": "Pierre"},
            )
        )
        on_login = app.config["ON_LOGIN"]
        if on_login:
            on_login(sub, claims or {})
        db.session.commit()
    with client.session_transaction() as session:
        session["login_id"] = login_id
    return login_id


def session_exists(app, login_id: str) -> bool:
    from clients.common.db import LoginSession, db

    with app.app_context():
        return db.session.get(LoginSession, login_id) is not None
