"""Refresh tokens rotate: each refresh answers a new refresh token; presenting a rotated
one again (past the retry grace, or once its successor was used) revokes the whole family.
In-process over HTTP (Flask's test client)."""

from __future__ import annotations

import pytest

from idp.audit.models import AuditEvent
from idp.core.extensions import db
from tests.oidc.helpers import (
    introspect,
    refresh_in_process,
    tokens_in_process,
    userinfo_status,
)


@pytest.fixture
def rp(make_rp):
    """A first-party confidential client (no consent page) allowed refresh tokens."""
    return make_rp(first_party=True)


def _refreshed(app, rp, refresh_token: str) -> dict:
    answer = refresh_in_process(app, rp, refresh_token)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.json


def test_refresh_answers_a_new_refresh_token_and_a_working_access_token(app, person, rp):
    """Each refresh gives a new access token and a new refresh token, which refreshes
    in turn; the new access tokens open userinfo."""
    first = tokens_in_process(app, person, rp)
    second = _refreshed(app, rp, first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["token_type"] == "Bearer" and second["expires_in"] > 0
    third = _refreshed(app, rp, second["refresh_token"])
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    assert userinfo_status(app, third["access_token"]) == 200
    assert introspect(app, rp, third["refresh_token"])["active"] is True


def test_a_rotated_refresh_token_is_no_longer_active(app, person, rp):
    """Introspection says a rotated refresh token is inactive, its successor active."""
    first = tokens_in_process(app, person, rp)
    second = _refreshed(app, rp, first["refresh_token"])
    assert introspect(app, rp, first["refresh_token"]) == {"active": False}
    successor = introspect(app, rp, second["refresh_token"])
    assert successor["active"] is True and successor["token_type"] == "refresh_token"


def test_reuse_once_the_successor_was_used_revokes_the_family(app, person, rp):
    """Within the grace, but after the new refresh token was used, the old one presented
    again is a reuse: refused, and every token of the family stops working."""
    first = tokens_in_process(app, person, rp)
    second = _refreshed(app, rp, first["refresh_token"])
    third = _refreshed(app, rp, second["refresh_token"])
    reuse = refresh_in_process(app, rp, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json["error"] == "invalid_grant"
    assert "access_token" not in reuse.json
    for access in (first["access_token"], second["access_token"], third["access_token"]):
        assert userinfo_status(app, access) == 401
    assert introspect(app, rp, third["access_token"]) == {"active": False}
    assert refresh_in_process(app, rp, third["refresh_token"]).status_code == 400


def test_without_grace_any_reuse_revokes_the_family_and_is_audited(app, person, rp):
    """With REFRESH_TOKEN_REUSE_GRACE = 0 the very next reuse of a rotated refresh token
    revokes the family (the successor included), and the audit log says so."""
    app.config["REFRESH_TOKEN_REUSE_GRACE"] = 0
    first = tokens_in_process(app, person, rp)
    second = _refreshed(app, rp, first["refresh_token"])
    reuse = refresh_in_process(app, rp, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json["error"] == "invalid_grant"
    assert userinfo_status(app, second["access_token"]) == 401
    assert introspect(app, rp, second["refresh_token"]) == {"active": False}
    assert refresh_in_process(app, rp, second["refresh_token"]).status_code == 400
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.type == "token.refresh_reuse_detected")
        )
        assert event is not None and event.client_id == rp.client_id
        assert event.account_id == person.id and event.details["tokens_revoked"] == 2


def test_another_clients_refresh_token_is_refused(app, person, rp, make_rp):
    """A client presenting a refresh token issued to another client gets no tokens."""
    first = tokens_in_process(app, person, rp)
    other = make_rp("Autre", first_party=True)
    stolen = refresh_in_process(app, other, first["refresh_token"])
    assert stolen.status_code == 400 and stolen.json["error"] == "invalid_grant"
    assert "access_token" not in stolen.json


def test_no_refresh_token_without_offline_access(app, person, rp):
    """A code flow without offline_access gives no refresh token."""
    answer = tokens_in_process(app, person, rp, scope="openid email")
    assert "refresh_token" not in answer and answer["access_token"]
