"""Compte as several stateless instances behind a load balancer: two real servers on two
ports (A under `compte run`, the shipped granian server; B under gunicorn with
config/gunicorn.conf.py: a deployment may mix them while it moves over), one issuer, one
PostgreSQL schema and one Redis, the same settings given through COMPTE_* variables. A
person's session, the tokens, the failed-login counter and the signing keys live in the
shared stores, so any request may reach either instance: a code obtained on one is
exchanged on the other, a token revoked on one is dead on the other at once, a logout on
one ends the session for both, the captcha threshold counts failures made on both, and a
key rotated in by `compte keys rotate` (a third process) is published by both before
either signs with it.

PostgreSQL + Redis only (the production setting of several instances)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.captcha.services import challenge_text
from idp.core.extensions import db
from idp.oidc.models import SigningKey
from tests.oidc.conftest import Browser, callback_params, make_rp, person  # noqa: F401  (fixtures)
from tests.oidc.helpers import authorize_url, exchange, pkce, refresh, userinfo
from tests.support.captcha import captcha_id_in
from tests.support.forms import csrf_of
from tests.support.processes import BIN, ROOT, compte_env
from tests.support.servers import free_port, wait_until
from tests.support.throttle import failures

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

SCOPE = "openid profile email offline_access"
CAPTCHA_AFTER = 3
CHECK_INTERVAL = 1  # OIDC_KEYS_CHECK_INTERVAL: each instance re-checks its keys this often
ACTIVATION_DELAY = 3  # OIDC_KEY_ACTIVATION_DELAY: a rotated-in key only published meanwhile


@pytest.fixture
def settings(settings, redis_url):
    """The in-process app (tables, fixtures, reading the stores) shares the instances'
    Redis, key prefix and limits."""
    return {
        **settings,
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": f"compte+{redis_url}",
        "LOGIN_CAPTCHA_AFTER": CAPTCHA_AFTER,
        "OIDC_KEYS_CHECK_INTERVAL": CHECK_INTERVAL,
        "OIDC_KEY_ACTIVATION_DELAY": ACTIVATION_DELAY,
    }


def shared_env(settings: dict) -> dict[str, str]:
    """What every instance (and `compte keys rotate`) is given: the same issuer, secret
    key, database, Redis and key prefix, and the same limits."""
    return compte_env(
        settings,
        COMPTE_REDIS_URL=settings["REDIS_URL"],
        COMPTE_RATELIMIT_KEY_PREFIX=settings["RATELIMIT_KEY_PREFIX"],
        COMPTE_LOGIN_CAPTCHA_AFTER=str(CAPTCHA_AFTER),
        COMPTE_OIDC_KEYS_CHECK_INTERVAL=str(CHECK_INTERVAL),
        COMPTE_OIDC_KEY_ACTIVATION_DELAY=str(ACTIVATION_DELAY),
        COMPTE_MAIL_WORKER="false",
    )


@dataclass
class Instances:
    a: str
    b: str
    issuer: str
    env: dict[str, str]


def _ready(base: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{base}/readyz", timeout=5).status_code == 200
    return False


COMMANDS = [
    [str(BIN / "compte"), "run"],
    [str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.conf.py"), "idp:create_app()"],
]


@contextlib.contextmanager
def _servers(env: dict[str, str], ports: list[int], folder: Path) -> Iterator[list[str]]:
    """One server (1 worker) per port, `compte run` then gunicorn in turn, all started
    before any is waited for; each stopped by its own pid."""
    processes: list[subprocess.Popen] = []
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for name, port in zip("abcdefgh", ports, strict=False):
            logs = folder / f"server-{name}.log"
            processes.append(
                subprocess.Popen(
                    COMMANDS[len(processes) % len(COMMANDS)],
                    env={
                        **env,
                        "COMPTE_BIND": f"127.0.0.1:{port}",
                        "COMPTE_WORKERS": "1",
                        "COMPTE_ACCESS_LOG": "",
                        "COMPTE_ERROR_LOG": str(logs),
                    },
                    cwd=folder,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for base, process, name in zip(bases, processes, "abcdefgh", strict=False):
            with contextlib.suppress(AssertionError):  # said below, with the log
                wait_until(lambda b=base, p=process: _ready(b) or p.poll() is not None, 60, 0.1)
            log = folder / f"server-{name}.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            assert process.poll() is None and _ready(base), f"{base} not ready:\n{tail}"
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def instances(app, settings, app_port, tmp_path) -> Iterator[Instances]:
    """Two servers on one database and one Redis: A on the issuer's port, B on another;
    the tables were created by `app`."""
    env = shared_env(settings)
    started = time.monotonic()
    with _servers(env, [app_port, free_port()], tmp_path) as (a, b):
        print(f"\ntwo instances ready in {time.monotonic() - started:.1f} s")
        assert a == settings["ISSUER"]
        yield Instances(a, b, settings["ISSUER"], env)


class Steps:
    """Seconds each step of a test took, printed as it goes."""

    def __init__(self) -> None:
        self.last = self.start = time.monotonic()

    def done(self, what: str) -> float:
        now = time.monotonic()
        took, self.last = now - self.last, now
        print(f"  {what}: {took:.2f} s")
        return took


def _jwks(base: str) -> KeySet:
    return KeySet.import_key_set(requests.get(f"{base}/oauth/jwks", timeout=5).json())


def _kids(base: str) -> set[str]:
    return {k["kid"] for k in requests.get(f"{base}/oauth/jwks", timeout=5).json()["keys"]}


def _introspect(base: str, rp, token: str) -> dict:
    answer = requests.post(
        f"{base}/oauth/introspect",
        data={"token": token},
        auth=(rp.client_id, rp.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _first_party(register):
    return register(
        "Formadist", first_party=True, grant_types=["authorization_code", "refresh_token"]
    )


def _tokens(browser: Browser, authorize_on: str, exchange_on: str, who, rp) -> dict:
    """A code from `authorize_on` (the browser already signed in: no page, first-party: no
    consent), exchanged at `exchange_on`."""
    verifier, challenge = pkce()
    response = browser.authorize(authorize_url(authorize_on, rp, challenge, scope=SCOPE), who)
    assert response.status_code == 302, response.text[:1000]
    code = callback_params(response)["code"]
    answer = exchange(exchange_on, rp, code, verifier)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_sign_in_on_one_instance_and_use_the_tokens_on_the_other(
    instances,
    person,  # noqa: F811
    make_rp,  # noqa: F811
):
    """Sign-in and code on A; exchange, refresh and introspection on B; userinfo on both;
    a refresh token revoked on A kills its family on B at once; a logout on B ends the
    session A opened, for every copy of its cookie."""
    a, b = instances.a, instances.b
    rp = _first_party(make_rp)
    steps = Steps()
    browser = Browser(a)
    verifier, challenge = pkce()
    response = browser.authorize(authorize_url(a, rp, challenge, scope=SCOPE), person)
    assert browser.logins == 1 and browser.consents == 0
    code = callback_params(response)["code"]
    cookie_copy = [c for c in browser.http.cookies]  # the session cookie A set
    assert any(c.name == "compte_session" for c in cookie_copy)
    # 127.0.0.1 cookies go to every port: the session A opened is known to B.
    assert browser.http.get(f"{b}/account", allow_redirects=False).status_code == 200
    steps.done("sign-in and code on A")

    exchanged = exchange(b, rp, code, verifier)
    assert exchanged.status_code == 200, exchanged.text
    tokens = exchanged.json()
    for base in (a, b):  # B's ID token verifies with either instance's keys
        claims = jwt.decode(tokens["id_token"], _jwks(base)).claims
        assert claims["iss"] == instances.issuer and claims["sub"] == person.sub
    steps.done("code exchanged on B")

    refreshed = refresh(b, rp, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    access, refresh_token = refreshed.json()["access_token"], refreshed.json()["refresh_token"]
    assert refresh_token != tokens["refresh_token"]
    steps.done("refreshed on B")

    for base in (a, b):
        answer = userinfo(base, access)
        assert answer.status_code == 200, (base, answer.text)
        assert answer.json()["sub"] == person.sub and answer.json()["email"] == person.email
    introspected = _introspect(b, rp, access)
    assert introspected["active"] is True and introspected["sub"] == person.sub
    assert _introspect(b, rp, refresh_token)["active"] is True
    steps.done("userinfo on A and B, introspection on B")

    revoked = requests.post(
        f"{a}/oauth/revoke",
        data={"token": refresh_token, "token_type_hint": "refresh_token"},
        auth=(rp.client_id, rp.client_secret),
        timeout=10,
    )
    assert revoked.status_code == 200, revoked.text
    assert userinfo(b, access).status_code == 401
    assert _introspect(a, rp, access) == {"active": False}
    assert _introspect(b, rp, refresh_token) == {"active": False}
    assert refresh(b, rp, refresh_token).json()["error"] == "invalid_grant"
    steps.done("revoked on A, dead on B and A")

    logout = browser.http.get(
        f"{b}/oauth/logout", params={"id_token_hint": tokens["id_token"]}, allow_redirects=False
    )
    assert logout.status_code == 200 and "Vous êtes déconnecté" in logout.text, logout.text[:500]
    copy = requests.Session()
    for cookie in cookie_copy:
        copy.cookies.set_cookie(cookie)
    for http in (browser.http, copy):
        for base in (a, b):
            answer = http.get(f"{base}/account", allow_redirects=False)
            assert answer.status_code == 302 and "/login" in answer.headers["Location"], base
    steps.done("logout on B, session ended on A")


def _wrong_password(http: requests.Session, base: str, email: str) -> str:
    page = http.get(f"{base}/login", timeout=10).text
    answer = http.post(
        f"{base}/login",
        data={"identifier": email, "password": "Pas-le-bon-2026", "csrf_token": csrf_of(page)},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 200 and "Identifiant ou mot de passe incorrect" in answer.text
    return answer.text


def _asks_captcha(base: str, identifier: str) -> bool:
    page = requests.get(f"{base}/login", params={"identifier": identifier}, timeout=10).text
    return 'name="captcha_id"' in page


def test_failed_logins_on_both_instances_count_towards_one_captcha_threshold(
    app,
    instances,
    person,  # noqa: F811
):
    """Wrong passwords alternately on A and B count in one Redis counter: after the third
    (on A), B's login page asks that account, and only it, for the captcha, and the right
    password on B without it is not enough; a captcha drawn by A is solved on B."""
    a, b = instances.a, instances.b
    steps = Steps()
    on_a, on_b = requests.Session(), requests.Session()
    for number, (http, base, other) in enumerate(
        [(on_a, a, b), (on_b, b, a), (on_a, a, b)], start=1
    ):
        _wrong_password(http, base, person.email)
        assert failures(app, person.id) == number
        assert _asks_captcha(other, person.email) is (number >= CAPTCHA_AFTER), number
    assert _asks_captcha(a, person.email) and not _asks_captcha(b, "other@example.fr")
    steps.done(f"{CAPTCHA_AFTER} failures on A, B, A; captcha asked on B")

    fresh = requests.Session()
    page = fresh.get(f"{b}/login", timeout=10).text
    refused = fresh.post(
        f"{b}/login",
        data={"identifier": person.email, "password": person.password, "csrf_token": csrf_of(page)},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 200 and 'name="captcha_id"' in refused.text
    assert fresh.get(f"{b}/account", allow_redirects=False).status_code == 302

    page = fresh.get(f"{a}/login", params={"identifier": person.email}, timeout=10).text
    challenge = captcha_id_in(page)
    with app.app_context():
        characters = challenge_text(challenge)  # the same secret key: the same characters
    signed_in = fresh.post(
        f"{b}/login",
        data={
            "identifier": person.email,
            "password": person.password,
            "csrf_token": csrf_of(page),
            "captcha_id": challenge,
            "captcha_answer": characters,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]
    assert fresh.get(f"{a}/account", allow_redirects=False).status_code == 200
    assert failures(app, person.id) == 0 and not _asks_captcha(b, person.email)
    steps.done("captcha of A solved on B, signed in, counter reset")


def test_a_key_rotated_by_the_command_is_published_by_both_then_signs_on_both(
    app,
    instances,
    person,  # noqa: F811
    make_rp,  # noqa: F811
):
    """`compte keys rotate` in its own process: both instances publish the new keys within
    60 s (in about OIDC_KEYS_CHECK_INTERVAL), every ID token either signs meanwhile verifies
    with both instances' JWKS, after the activation delay both sign with the new key, and
    the old key stays published while the tokens it signed live."""
    a, b = instances.a, instances.b
    rp = _first_party(make_rp)
    browser = Browser(a)
    browser.login(person)
    before = {base: _tokens(browser, base, base, person, rp)["id_token"] for base in (a, b)}
    old_kids = _kids(a)
    assert _kids(b) == old_kids and len(old_kids) == 2
    old_kid = jwt.decode(before[a], _jwks(a)).header["kid"]
    assert jwt.decode(before[b], _jwks(b)).header["kid"] == old_kid

    steps = Steps()
    rotated = subprocess.run(
        [str(BIN / "compte"), "keys", "rotate"],
        env=instances.env,
        cwd=app.instance_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rotated.returncode == 0, rotated.stderr[-2000:]
    assert rotated.stdout.count("signs from") == 2, rotated.stdout
    with app.app_context():
        new_rows = list(
            db.session.scalars(db.select(SigningKey).where(SigningKey.retired_at.is_(None)))
        )
        old_rows = list(
            db.session.scalars(db.select(SigningKey).where(SigningKey.kid.in_(old_kids)))
        )
    new_kids = {row.kid for row in new_rows}
    assert len(new_kids) == 2 and not new_kids & old_kids
    steps.done("`compte keys rotate` (its own process)")
    rotated_at = time.monotonic()

    for base in (a, b):
        left = rotated_at + 60 - time.monotonic()
        wait_until(lambda base=base: _kids(base) == old_kids | new_kids, left, interval=0.1)
        steps.done(f"new keys published by {base[-5:]}")

    activates_at = min(row.activates_at for row in new_rows).replace(tzinfo=UTC).timestamp()
    signed_new: dict[str, float] = {}
    while len(signed_new) < 2:
        for base in (a, b):
            token = _tokens(browser, base, base, person, rp)["id_token"]
            decoded = [jwt.decode(token, _jwks(x)) for x in (a, b)]  # verifies on both
            kid, iat = decoded[0].header["kid"], decoded[0].claims["iat"]
            assert decoded[1].header["kid"] == kid and kid in old_kids | new_kids
            # The key is chosen for the token's iat (idp/oidc/keys.py sign), and both
            # instances know the new key by now: iat falls in the window of its key.
            if kid in new_kids:
                assert iat >= activates_at, "signed before its activation"
                if base not in signed_new:
                    signed_new[base] = time.monotonic() - rotated_at
                    print(f"  {base[-5:]} signs with the new key {signed_new[base]:.2f} s after")
            else:
                assert iat < activates_at, "the old key signed after its successor's"
        assert time.monotonic() < rotated_at + 60, f"the new key not signing on both: {signed_new}"
        time.sleep(0.2)
    steps.last = time.monotonic()

    for base in (a, b):
        assert old_kids <= _kids(base)
        for token in before.values():  # old tokens still verify everywhere
            assert jwt.decode(token, _jwks(base)).claims["sub"] == person.sub
    for row in old_rows:  # published until every token it signed has expired
        assert row.not_after is not None
        not_after = row.not_after.replace(tzinfo=UTC).timestamp()
        for token in before.values():
            assert not_after >= jwt.decode(token, _jwks(a)).claims["exp"]
    steps.done("old keys still published, old tokens verify on both")
