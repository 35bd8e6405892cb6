"""The same throttle with its counters in Redis (several Compte instances share them)."""

from __future__ import annotations

import pytest
import requests

from tests.support.accounts import PASSWORD, csrf_of, make_account
from tests.support.throttle import bad_credentials, count_in_threads, parallel_guesses


@pytest.fixture
def settings(settings, redis_url):
    return {**settings, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url}


def test_limiter_storage_is_redis(app):
    """The throttle counters live in Redis when REDIS_URL is set."""
    from idp.core.extensions import limiter

    with app.test_request_context():
        assert type(limiter.storage).__name__.lower().startswith("redis")


def test_parallel_guesses_from_one_address_do_not_slip_past(app, live_server):
    """10 simultaneous wrong guesses on 10 identifiers from one address (its limit set to
    3): at most 3 passwords are checked (atomic INCR in Redis), then the captcha is required
    for everyone."""
    app.config["LOGIN_ADDRESS_CAPTCHA_AFTER"] = 3
    make_account(app)
    identifiers = [f"nobody{n}@example.org" for n in range(10)]
    assert parallel_guesses(live_server, identifiers) == [200] * 10
    assert 1 <= bad_credentials(app) <= 3
    session = requests.Session()
    token = csrf_of(session.get(f"{live_server}/login").text)
    response = session.post(
        f"{live_server}/login",
        data={"csrf_token": token, "identifier": "ivan@example.org", "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 200 and 'name="captcha_id"' in response.text


def test_redis_counter_is_atomic(app):
    """12 attempts counted at once for one unknown identifier in Redis get 1..12."""
    assert sorted(count_in_threads(app, None, "nobody@example.org", 12)) == list(range(1, 13))
