"""Clean-up of the provider tables and small HTTP details (cache headers, CORS)."""

from __future__ import annotations

import time

import requests

from idp.core.extensions import db
from idp.oidc.models import AuthorizationCode, Token, UsedJti
from tests.oidc.conftest import callback_params
from tests.oidc.helpers import authorize_url, exchange, pkce


def test_purge_removes_only_dead_rows(app, live_server, browser, person, rp):
    """`oidc purge` deletes expired codes, jti markers and unusable tokens, keeps live ones."""
    from idp.oidc import maintenance

    verifier, challenge = pkce()
    code = callback_params(browser.authorize(authorize_url(live_server, rp, challenge), person))
    assert exchange(live_server, rp, code["code"], verifier).status_code == 200
    with app.app_context():
        live_tokens = db.session.scalar(db.select(db.func.count(Token.id)))
        old = int(time.time()) - 10 * 3600
        db.session.add(UsedJti(client_id=rp.client_id, jti="old", expires_at=old))
        dead = Token(
            client_id=rp.client_id,
            access_token_hash="0" * 64,
            family_id="f",
            issued_at=old,
            expires_in=60,
        )
        db.session.add(dead)
        db.session.execute(db.update(AuthorizationCode).values(expires_at=old))
        db.session.commit()
        counts = maintenance.run()
        assert counts["codes"] == 1 and counts["jti"] == 1 and counts["tokens"] == 1
        assert db.session.scalar(db.select(db.func.count(Token.id))) == live_tokens


def test_discovery_and_jwks_are_cacheable_and_open_to_browsers(live_server):
    """Prepared discovery/JWKS: ETag, 304 on revalidation, public cache, CORS."""
    first = requests.get(f"{live_server}/.well-known/openid-configuration", timeout=5)
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in first.headers["Cache-Control"] and first.headers["ETag"]
    again = requests.get(
        f"{live_server}/.well-known/openid-configuration",
        headers={"If-None-Match": first.headers["ETag"]},
        timeout=5,
    )
    assert again.status_code == 304
    jwks = requests.get(f"{live_server}/oauth/jwks", timeout=5)
    assert jwks.headers["ETag"] and "public" in jwks.headers["Cache-Control"]
    preflight = requests.options(
        f"{live_server}/oauth/token",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
