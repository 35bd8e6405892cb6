"""Revocation (RFC 7009) and introspection (RFC 7662): a revoked token is inactive for
introspection and refused by userinfo; a revoked refresh token takes its family with it.
In-process over HTTP (Flask's test client)."""

from __future__ import annotations

import pytest

from tests.oidc.helpers import (
    basic,
    introspect,
    refresh_in_process,
    revoke,
    tokens_in_process,
    userinfo_status,
)


@pytest.fixture
def rp(make_rp):
    """A first-party confidential client (no consent page) allowed refresh tokens."""
    return make_rp(first_party=True)


def test_an_active_access_token_is_described(app, person, rp):
    """Introspection of a live access token by its client: active, with client, subject,
    scope and expiry."""
    tokens = tokens_in_process(app, person, rp)
    answer = introspect(app, rp, tokens["access_token"])
    assert answer["active"] is True
    assert answer["client_id"] == rp.client_id and answer["sub"] == person.sub
    assert answer["token_type"] == "Bearer"
    assert set(answer["scope"].split()) == {"openid", "email", "offline_access"}
    assert answer["exp"] > answer["iat"] and answer["iss"] == app.config["ISSUER"]


def test_a_revoked_access_token_is_inactive(app, person, rp):
    """After revocation of the access token, introspection answers only active=false,
    userinfo refuses it, and its paired refresh token is refused too."""
    tokens = tokens_in_process(app, person, rp)
    done = revoke(app, rp, tokens["access_token"], token_type_hint="access_token")
    assert done.status_code == 200
    assert introspect(app, rp, tokens["access_token"]) == {"active": False}
    assert userinfo_status(app, tokens["access_token"]) == 401
    assert refresh_in_process(app, rp, tokens["refresh_token"]).status_code == 400


def test_a_revoked_refresh_token_takes_its_family(app, person, rp):
    """Revoking a refresh token revokes every token of its family: the access tokens
    before and after the rotation are inactive and refused."""
    first = tokens_in_process(app, person, rp)
    second = refresh_in_process(app, rp, first["refresh_token"]).json
    done = revoke(app, rp, second["refresh_token"], token_type_hint="refresh_token")
    assert done.status_code == 200
    for token in (second["refresh_token"], second["access_token"], first["access_token"]):
        assert introspect(app, rp, token) == {"active": False}
    assert userinfo_status(app, second["access_token"]) == 401
    refused = refresh_in_process(app, rp, second["refresh_token"])
    assert refused.status_code == 400 and "access_token" not in refused.json


def test_another_client_cannot_revoke_or_read_a_token(app, person, rp, make_rp):
    """Another client's revocation leaves the token working, and its introspection learns
    nothing about it."""
    tokens = tokens_in_process(app, person, rp)
    other = make_rp("Autre", first_party=True)
    revoke(app, other, tokens["access_token"])
    assert userinfo_status(app, tokens["access_token"]) == 200
    assert introspect(app, rp, tokens["access_token"])["active"] is True
    seen = app.test_client().post(
        "/oauth/introspect",
        data={"token": tokens["access_token"]},
        headers=basic(other),
    )
    assert person.sub not in seen.get_data(as_text=True)
    assert seen.json.get("active") is not True


def test_an_unknown_token_revokes_nothing_and_is_inactive(app, rp):
    """Revoking an unknown token answers 200 (RFC 7009); introspection says inactive."""
    assert revoke(app, rp, "not-a-token").status_code == 200
    assert introspect(app, rp, "not-a-token") == {"active": False}
