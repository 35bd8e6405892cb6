"""Redis cut off or hung under the rate limits and the login throttle: sign-in, the
forgotten-password form and registration keep working on this process's counters (the
captcha after failures included), the outage is audited once, and the counters go back
to Redis when it answers again. Real HTTP, a real Redis behind a TCP proxy."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis

import idp.core.ratelimit
from tests.faults.helpers import PASSWORD, Visitor, audit_types, visible_text
from tests.support.accounts import make_account
from tests.support.captcha import record_captcha_answers
from tests.support.proxy import TcpProxy
from tests.support.servers import wait_until

MEMBER = "ivan@example.org"
STRANGER = "personne@example.org"
UNAVAILABLE = "ratelimit.storage_unavailable"
RECOVERED = "ratelimit.storage_recovered"


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[TcpProxy]:
    """A proxy in front of the test Redis, to cut it off and bring it back."""
    target = urlsplit(redis_url)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        yield proxy


@pytest.fixture
def settings(settings: dict, redis_url: str, redis_proxy: TcpProxy) -> Iterator[dict]:
    """Compte with REDIS_URL through the proxy and the rate-limit storage it chooses
    itself (no RATELIMIT_STORAGE_URI); the test's keys are removed from Redis after."""
    target = urlsplit(redis_url)
    through_proxy = target._replace(netloc=f"127.0.0.1:{redis_proxy.port}").geturl()
    overridden = {k: v for k, v in settings.items() if k != "RATELIMIT_STORAGE_URI"}
    yield {**overridden, "REDIS_URL": through_proxy}
    direct = redis.Redis.from_url(redis_url)
    keys = direct.keys(f"*{settings['RATELIMIT_KEY_PREFIX']}*")
    if keys:
        direct.delete(*keys)
    direct.close()


@pytest.fixture
def recheck_soon(monkeypatch) -> None:
    """Compte tries Redis again every 0.2 s while it is out (instead of every few seconds)."""
    monkeypatch.setattr(idp.core.ratelimit, "RECHECK_SECONDS", 0.2)


def counters_in_redis(app, redis_url: str) -> list[str]:
    """The keys of this app's counters (its RATELIMIT_KEY_PREFIX) in the real Redis."""
    direct = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return direct.keys(f"*{app.config['RATELIMIT_KEY_PREFIX']}*")
    finally:
        direct.close()


def use_every_page(app, live_server: str) -> None:
    """What people do while Redis is out: each page gives its ordinary answer."""
    visitor = Visitor(live_server)
    page = visitor.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert visitor.login(MEMBER, PASSWORD).status_code == 302  # signed in

    stranger = Visitor(live_server)
    for attempt in range(3):
        failed = stranger.login(STRANGER, "Mauvais-mot-2026")
        assert failed.status_code == 200
        assert "Identifiant ou mot de passe incorrect." in visible_text(failed.text)
        # The captcha comes after the third failure, counted in this process meanwhile.
        assert ('name="captcha_id"' in failed.text) is (attempt == 2)

    reset = Visitor(live_server).forgot_password(MEMBER)
    assert reset.status_code == 200
    assert "Si un compte existe" in visible_text(reset.text)

    newcomer = Visitor(live_server)
    registered = newcomer.register("pierreivan@yopmail.com", record_captcha_answers(app))
    assert registered.status_code == 302, visible_text(registered.text)[:500]
    assert newcomer.get(registered.headers["Location"]).status_code == 200


def check_recovery(app, live_server: str, redis_url: str) -> None:
    """Redis answers again: the recovery is audited and failures are counted in Redis."""
    visitor = Visitor(live_server)
    wait_until(
        lambda: visitor.get("/login").status_code == 200 and RECOVERED in audit_types(app),
        timeout=15,
    )
    failed = visitor.login(STRANGER, "Encore-faux-2026")
    assert "Identifiant ou mot de passe incorrect." in visible_text(failed.text)
    assert any("/login-fail/" in key for key in counters_in_redis(app, redis_url))
    assert audit_types(app).count(UNAVAILABLE) == 1
    assert audit_types(app).count(RECOVERED) == 1


def test_redis_cut_off_sign_in_reset_and_registration_work_then_counters_return(
    app, live_server, redis_proxy, redis_url, recheck_soon
):
    """Redis cut off (every connection closed, nothing listens): login (right and wrong
    password, captcha after failures), "mot de passe oublié" and registration answer as
    usual; the outage is audited once; once Redis is back the recovery is audited and
    counters are in Redis again."""
    make_account(app, MEMBER, PASSWORD)
    assert Visitor(live_server).get("/login").status_code == 200  # Redis in use
    assert UNAVAILABLE not in audit_types(app)

    redis_proxy.stop()
    use_every_page(app, live_server)
    assert audit_types(app).count(UNAVAILABLE) == 1  # one warning, not one per request
    assert counters_in_redis(app, redis_url) == []  # nothing reached Redis meanwhile

    redis_proxy.start()
    check_recovery(app, live_server, redis_url)


def test_redis_hung_pages_still_answer_then_counters_return(
    app, live_server, redis_proxy, redis_url, recheck_soon
):
    """Redis hung (connections accepted, never answered): the same pages answer as usual
    instead of waiting for it; once it answers again, counters go back to it."""
    make_account(app, MEMBER, PASSWORD)
    assert Visitor(live_server).get("/login").status_code == 200  # a connection is open

    redis_proxy.silent = True
    use_every_page(app, live_server)
    assert audit_types(app).count(UNAVAILABLE) == 1

    redis_proxy.silent = False
    check_recovery(app, live_server, redis_url)
