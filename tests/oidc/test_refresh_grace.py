"""A client that lost the answer to a refresh may ask again within
REFRESH_TOKEN_REUSE_GRACE and gets the same answer; after the grace, or once the new
token was used, the reuse revokes the family. Concurrent refreshes issue one pair.

The rules are checked in-process (Flask's test client); concurrency over real HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from idp.core.extensions import db
from idp.oidc.models import Token
from tests.oidc.helpers import (
    refresh,
    refresh_in_process,
    tokens_in_process,
    userinfo_status,
)


@pytest.fixture
def rp(make_rp):
    """A first-party confidential client (no consent page) allowed refresh tokens."""
    return make_rp(first_party=True)


def test_a_retry_within_the_grace_gets_the_same_answer(app, person, rp):
    """Sending the same refresh token again (lost response) returns the very same tokens,
    which work; the family is intact."""
    first = tokens_in_process(app, person, rp)
    answer = refresh_in_process(app, rp, first["refresh_token"])
    retry = refresh_in_process(app, rp, first["refresh_token"])
    assert answer.status_code == retry.status_code == 200
    assert retry.json == answer.json
    assert retry.headers["Cache-Control"] == "no-store"
    assert userinfo_status(app, retry.json["access_token"]) == 200
    assert refresh_in_process(app, rp, retry.json["refresh_token"]).status_code == 200


def test_after_the_grace_a_reuse_revokes_the_family(app, person, rp):
    """Past REFRESH_TOKEN_REUSE_GRACE the same retry is a reuse: refused, family revoked."""
    first = tokens_in_process(app, person, rp)
    second = refresh_in_process(app, rp, first["refresh_token"]).json
    with app.app_context():
        row = db.session.scalar(db.select(Token).where(Token.rotated_at.is_not(None)))
        row.rotated_at -= timedelta(seconds=app.config["REFRESH_TOKEN_REUSE_GRACE"] + 1)
        db.session.commit()
    late = refresh_in_process(app, rp, first["refresh_token"])
    assert late.status_code == 400 and late.json["error"] == "invalid_grant"
    assert userinfo_status(app, second["access_token"]) == 401


def test_another_client_never_gets_the_answer(app, person, rp, make_rp):
    """The kept answer goes back only to the client the token belongs to."""
    first = tokens_in_process(app, person, rp)
    refresh_in_process(app, rp, first["refresh_token"])
    thief = make_rp("Autre")
    stolen = refresh_in_process(app, thief, first["refresh_token"])
    assert stolen.status_code == 400 and "access_token" not in stolen.get_data(as_text=True)


def test_concurrent_refreshes_issue_one_pair(app, live_server, person, rp):
    """Twenty parallel refreshes of one token: every success carries the same pair, and
    the family holds exactly two tokens (the first and its one successor)."""
    first = tokens_in_process(app, person, rp)
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda _: refresh(live_server, rp, first["refresh_token"]), range(20))
        )
    successes = [a.json() for a in answers if a.status_code == 200]
    assert successes and all(s == successes[0] for s in successes)
    assert {a.status_code for a in answers} <= {200, 400}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Token.id))) == 2


def test_without_grace_exactly_one_of_concurrent_refreshes_wins(app, live_server, person, rp):
    """With REFRESH_TOKEN_REUSE_GRACE = 0, parallel refreshes of one token give exactly one
    success (the others are reuses)."""
    app.config["REFRESH_TOKEN_REUSE_GRACE"] = 0
    first = tokens_in_process(app, person, rp)
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda _: refresh(live_server, rp, first["refresh_token"]), range(20))
        )
    assert sum(a.status_code == 200 for a in answers) == 1
