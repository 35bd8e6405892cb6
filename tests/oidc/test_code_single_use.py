"""An authorization code is single-use and short-lived: a replayed code is refused and
revokes the tokens its first use gave. In-process over HTTP (Flask's test client)."""

from __future__ import annotations

import pytest

from idp.core.extensions import db
from idp.oidc.models import AuthorizationCode
from tests.oidc.helpers import (
    code_in_process,
    exchange_in_process,
    introspect,
    pkce,
    refresh_in_process,
    token_request,
    userinfo_status,
)


@pytest.fixture
def rp(make_rp):
    """A first-party confidential client (no consent page) allowed refresh tokens."""
    return make_rp(first_party=True)


def test_a_replayed_code_is_refused_and_revokes_what_it_gave(app, person, rp):
    """The second exchange of a code gets invalid_grant; the access and refresh tokens of
    the first exchange stop working."""
    verifier, challenge = pkce()
    code = code_in_process(app, person, rp, challenge, scope="openid offline_access")
    first = exchange_in_process(app, rp, code, verifier)
    assert first.status_code == 200, first.get_data(as_text=True)
    tokens = first.json
    assert userinfo_status(app, tokens["access_token"]) == 200
    replay = exchange_in_process(app, rp, code, verifier)
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert "access_token" not in replay.json
    assert userinfo_status(app, tokens["access_token"]) == 401
    assert introspect(app, rp, tokens["access_token"]) == {"active": False}
    assert refresh_in_process(app, rp, tokens["refresh_token"]).status_code == 400


def test_an_expired_code_is_refused(app, person, rp):
    """A code past AUTHORIZATION_CODE_LIFETIME gets invalid_grant and no tokens."""
    verifier, challenge = pkce()
    code = code_in_process(app, person, rp, challenge)
    with app.app_context():
        row = db.session.scalar(db.select(AuthorizationCode))
        row.expires_at -= app.config["AUTHORIZATION_CODE_LIFETIME"] + 1
        db.session.commit()
    late = exchange_in_process(app, rp, code, verifier)
    assert late.status_code == 400 and late.json["error"] == "invalid_grant"
    assert "access_token" not in late.json


def test_a_code_works_only_for_its_client(app, person, rp, make_rp):
    """Another client exchanging the code gets invalid_grant; the code stays good for its
    own client."""
    verifier, challenge = pkce()
    code = code_in_process(app, person, rp, challenge)
    other = make_rp("Autre", first_party=True)
    stolen = exchange_in_process(app, other, code, verifier)
    assert stolen.status_code == 400 and stolen.json["error"] == "invalid_grant"
    assert exchange_in_process(app, rp, code, verifier).status_code == 200


def test_the_redirect_uri_must_be_the_one_of_the_request(app, person, make_rp):
    """Exchanging a code with another registered redirect_uri than the request's is
    refused (invalid_grant)."""
    rp = make_rp(
        first_party=True,
        redirect_uris=("http://127.0.0.1:9/callback", "http://127.0.0.1:9/other"),
    )
    verifier, challenge = pkce()
    code = code_in_process(app, person, rp, challenge)
    answer = token_request(
        app,
        rp,
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://127.0.0.1:9/other",
        code_verifier=verifier,
    )
    assert answer.status_code == 400 and answer.json["error"] == "invalid_grant"
    assert "access_token" not in answer.json
