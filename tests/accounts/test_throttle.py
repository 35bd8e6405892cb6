"""Login throttling: captcha after failures (per account, and per address at a much higher
limit), then a pause, atomic counting under parallel guesses, and the per-address rate
limit."""

from __future__ import annotations

import re
import time
from datetime import datetime

import requests

from idp.accounts.throttle import (
    Counts,
    Policy,
    allowed_without_captcha,
    captcha_required,
    seconds_left,
)
from tests.support.accounts import (
    PASSWORD,
    csrf_of,
    login,
    make_account,
    text,
)
from tests.support.captcha import captcha_answers, captcha_fields  # noqa: F401  (fixture)
from tests.support.throttle import bad_credentials, count_in_threads, failures, parallel_guesses

POLICY = Policy(captcha_after=3, delay=2, window=900, address_captcha_after=30)
NOW = datetime(2026, 1, 1, 12, 0, 0)


def test_captcha_from_the_limit_on():
    """The captcha is required once the account's failures reach its limit, or the
    address's reach its much higher one, not before."""
    assert not captcha_required(Counts(account=2, address=29), POLICY)
    assert captcha_required(Counts(account=3, address=3), POLICY)
    assert captcha_required(Counts(account=0, address=30), POLICY)
    assert captcha_required(Counts(account=40, address=0), POLICY)


def test_only_the_first_attempts_pass_without_captcha():
    """Attempt numbers (counted before the check) 1..limit pass; the next ones do not."""
    assert [allowed_without_captcha(Counts(n, n), POLICY) for n in range(1, 6)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert allowed_without_captcha(Counts(1, 30), POLICY)
    assert not allowed_without_captcha(Counts(1, 31), POLICY)


def test_seconds_left_rounds_up_and_never_goes_negative():
    """The pause is told in whole seconds, rounded up."""
    assert seconds_left(10.2, 9.0) == 2
    assert seconds_left(10.0, 10.0) == 0
    assert seconds_left(5.0, 10.0) == 0


def test_captcha_after_failures_then_a_pause(app, client, captcha_answers):  # noqa: F811
    """After 3 failures the captcha is required (no password check without it); with the
    captcha each failure imposes the pause; the right password then logs in and resets."""
    app.config["LOGIN_FAILURE_DELAY"] = 1
    account_id = make_account(app)
    for _ in range(2):
        assert "captcha_id" not in text(login(client, "ivan@example.org", "Mauvais-1"))
    third = text(login(client, "ivan@example.org", "Mauvais-1"))
    assert "Identifiant ou mot de passe incorrect." in third and 'name="captcha_id"' in third

    # Without the captcha, even the right password is not checked.
    page = text(login(client, "ivan@example.org", PASSWORD))
    assert 'name="captcha_id"' in page and client.get("/").status_code == 302
    assert bad_credentials(app) == 3

    # With the captcha: a wrong password is checked, then the pause applies.
    page = text(client.get("/login?identifier=ivan@example.org"))
    data = {"identifier": "ivan@example.org", "password": "Mauvais-1", "csrf_token": csrf_of(page)}
    wrong = client.post("/login", data={**data, **captcha_fields(captcha_answers, page)})
    assert "Identifiant ou mot de passe incorrect." in text(wrong)
    assert bad_credentials(app) == 4
    page = text(wrong)
    early = client.post(
        "/login",
        data={**data, "password": PASSWORD, **captcha_fields(captcha_answers, page)},
    )
    assert early.status_code == 429
    assert "Merci de patienter 1 seconde avant de réessayer." in text(early)
    assert client.get("/").status_code == 302

    time.sleep(1.1)
    page = text(early)
    ok = client.post(
        "/login",
        data={**data, "password": PASSWORD, **captcha_fields(captcha_answers, page)},
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert failures(app, account_id) == 0


def test_failures_from_one_address_require_the_captcha_for_any_account(app, client):
    """Guessing many identifiers from one address (the robot case) brings the captcha for
    all of them, once the address's own limit is reached."""
    app.config["LOGIN_ADDRESS_CAPTCHA_AFTER"] = 6
    make_account(app)
    for n in range(5):
        login(client, f"nobody{n}@example.org", "Mauvais-1")
    assert 'name="captcha_id"' not in text(client.get("/login"))
    login(client, "nobody5@example.org", "Mauvais-1")
    assert 'name="captcha_id"' in text(client.get("/login"))
    page = text(login(client, "ivan@example.org", PASSWORD))
    assert 'name="captcha_id"' in page and client.get("/").status_code == 302


def test_unknown_identifier_gets_the_captcha_like_a_known_account(app, client):
    """An unknown identifier behaves like an account: the captcha comes after 3 failures
    (from different addresses too), so the captcha does not reveal which accounts exist."""
    for n in range(3):
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        login(client, "nobody@example.org", "Mauvais-1")
    client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert 'name="captcha_id"' in text(login(client, "nobody@example.org", "Mauvais-1"))


def test_parallel_guesses_do_not_slip_past_the_limit(app, live_server):
    """10 simultaneous wrong guesses on one account: at most 3 passwords are checked, and
    the captcha is then required even for the right password."""
    account_id = make_account(app)
    statuses = parallel_guesses(live_server, ["ivan@example.org"] * 10)
    assert statuses == [200] * 10
    # Two counters (account, address) each bound the checks: never more than the limit.
    assert 1 <= bad_credentials(app) <= 3
    assert failures(app, account_id) >= 3
    session = requests.Session()
    token = csrf_of(session.get(f"{live_server}/login").text)
    response = session.post(
        f"{live_server}/login",
        data={"csrf_token": token, "identifier": "ivan@example.org", "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status_code == 200 and 'name="captcha_id"' in response.text


def test_rate_limit_per_address(app, client):
    """Beyond LOGIN_RATE_LIMIT attempts from one address, the login answers 429 with the
    sign-in form itself: the identifier typed kept, the exact wait said and in Retry-After."""
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    make_account(app)
    assert login(client, "ivan@example.org", "Mauvais-1").status_code == 200
    assert login(client, "ivan@example.org", "Mauvais-1").status_code == 200
    limited = login(client, "ivan@example.org", PASSWORD)
    page = text(limited)
    wait = int(limited.headers["Retry-After"])
    assert limited.status_code == 429 and 1 <= wait <= 61  # a minute's window
    assert 'value="ivan@example.org"' in page and 'name="password"' in page
    assert "formulaire est mis en pause" in page
    assert re.search(r"Réessayez dans \d+ (secondes?|minutes?)\.", page)
    assert client.get("/login").status_code == 200  # the page itself stays readable


def test_other_limits_say_the_exact_wait(app, client):
    """A limit without a form of its own (the captcha image) answers 429 with Retry-After
    and "Réessayez dans …" on the page, not "quelques instants"."""
    app.config["CAPTCHA_RATE_LIMIT"] = "1 per minute"
    page = text(client.get("/register"))
    image = re.search(r'src="(/captcha/[^"]+)"', page)
    assert image, "the registration page shows a captcha image"
    client.get(image.group(1))
    limited = client.get(image.group(1), headers={"Accept": "text/html"})
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 61
    assert re.search(r"Réessayez dans \d+ (secondes?|minutes?)\.", text(limited))


def test_account_counter_is_atomic(app):
    """12 attempts counted at once on one account (each from its own address) get the
    numbers 1..12: the storage's atomic increment loses none."""
    account_id = make_account(app)
    assert sorted(count_in_threads(app, account_id, "ivan@example.org", 12)) == list(range(1, 13))
    assert failures(app, account_id) == 12


def test_unknown_identifier_counter_is_atomic(app):
    """The same for an unknown identifier, counted in the limiter storage."""
    numbers = count_in_threads(app, None, "nobody@example.org", 12)
    assert sorted(numbers) == list(range(1, 13))


def test_successful_logins_do_not_bring_the_captcha(app, client):
    """Good logins from one address are not counted as failures (no captcha after 5)."""
    make_account(app)
    for _ in range(5):
        response = login(app.test_client(), "ivan@example.org", PASSWORD)
        assert response.status_code == 302
    assert 'name="captcha_id"' not in text(client.get("/login"))


def test_one_persons_failures_do_not_bring_the_captcha_to_others_behind_the_address(app, client):
    """3 failures on account A bring the captcha for A only: a fresh browser on account B
    from the same address signs in without one; A's browser is asked it, not told that
    characters it never saw were wrong."""
    make_account(app)
    make_account(app, "berthe@example.org")
    for _ in range(3):
        third = text(login(client, "ivan@example.org", "Mauvais-1"))
    assert 'name="captcha_id"' in third

    other = app.test_client()  # same REMOTE_ADDR: the office's proxy
    assert 'name="captcha_id"' not in text(other.get("/login"))
    signed_in = login(other, "berthe@example.org", PASSWORD)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"

    fresh = app.test_client()  # A again, from a page that showed no captcha
    asked = fresh.post(
        "/login",
        data={
            "identifier": "ivan@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_of(text(fresh.get("/login"))),
        },
    )
    page = text(asked)
    assert 'name="captcha_id"' in page and "Par sécurité, recopiez les caractères" in page
    assert "ne correspondent pas" not in page
    assert fresh.get("/").status_code == 302  # not signed in without the captcha
