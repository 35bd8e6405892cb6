"""PostgreSQL cut off, restarted or hung under a running Compte: pages answer a clear 503
with Retry-After (JSON `temporarily_unavailable` for relying parties), never a 500 nor a
hang; discovery and JWKS keep being served; when the database is back, everything works
again without restarting Compte, and nothing that was under way is lost.
Real HTTP, a real PostgreSQL behind a TCP proxy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy.engine import make_url

from idp.core.extensions import db
from idp.oidc.clients import create_client
from tests.faults.helpers import PASSWORD, UNAVAILABLE, Visitor, csrf_of, visible_text
from tests.oidc.helpers import authorize_url, exchange, pkce, userinfo
from tests.support.accounts import make_account
from tests.support.proxy import TcpProxy

MEMBER = "ivan@example.org"
REDIRECT_URI = "http://127.0.0.1:9/callback"
DISCOVERY = "/.well-known/openid-configuration"
JWKS = "/oauth/jwks"


@pytest.fixture
def backend() -> str:
    """These faults are PostgreSQL's (a SQLite file cannot be cut off)."""
    return "postgresql"


@pytest.fixture
def pg_proxy(database_url) -> Iterator[TcpProxy]:
    """A proxy in front of the test PostgreSQL, to cut it off and bring it back."""
    url = make_url(database_url[0])
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def settings(settings: dict, pg_proxy: TcpProxy) -> dict:
    """Compte reaches its schema through the proxy, with its own pool options (no
    pool_pre_ping given by the test); a connection attempt gives up quickly; the signing
    keys are re-checked in the database on every JWKS request."""
    url = make_url(settings["DATABASE_URL"]).set(host="127.0.0.1", port=pg_proxy.port)
    through_proxy = url.render_as_string(hide_password=False)
    schema_only = {"connect_args": settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]}
    return {
        **settings,
        "DATABASE_URL": through_proxy,
        "SQLALCHEMY_DATABASE_URI": through_proxy,
        "SQLALCHEMY_ENGINE_OPTIONS": schema_only,
        "DATABASE_CONNECT_TIMEOUT": 1,
        "OIDC_KEYS_CHECK_INTERVAL": 0,
        # As in production (TESTING turns it on): an error raised while an error page is
        # made goes to the 500 handler instead of out of the app.
        "PROPAGATE_EXCEPTIONS": False,
    }


@dataclass
class Warm:
    """What is under way when the database goes: a signed-in person, an access token, an
    authorization code not yet exchanged, the public documents as served."""

    person: Visitor
    access_token: str
    code: str
    verifier: str
    discovery: bytes
    jwks: bytes


@dataclass
class RP:
    client_id: str
    client_secret: str
    redirect_uri: str = REDIRECT_URI


@pytest.fixture
def rp(app) -> RP:
    """A first-party confidential client (no consent page)."""
    with app.app_context():
        client, secret = create_client("Formadist", redirect_uris=[REDIRECT_URI], first_party=True)
        db.session.commit()
        return RP(client.client_id, secret)


def authorization_code(person: Visitor, issuer: str, rp) -> tuple[str, str]:
    """A signed-in person's browser goes through /oauth/authorize: (code, PKCE verifier)."""
    verifier, challenge = pkce()
    response = person.get(authorize_url(issuer, rp, challenge))
    assert response.status_code == 302, visible_text(response.text)[:500]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return parse_qs(urlsplit(location).query)["code"][0], verifier


def warm_up(app, issuer: str, rp) -> Warm:
    make_account(app, MEMBER, PASSWORD)
    discovery = requests.get(issuer + DISCOVERY, timeout=10)
    jwks = requests.get(issuer + JWKS, timeout=10)
    assert discovery.status_code == jwks.status_code == 200
    person = Visitor(issuer)
    assert person.login(MEMBER, PASSWORD).status_code == 302
    code, verifier = authorization_code(person, issuer, rp)
    tokens = exchange(issuer, rp, code, verifier)
    assert tokens.status_code == 200, tokens.text
    assert userinfo(issuer, tokens.json()["access_token"]).status_code == 200
    code, verifier = authorization_code(person, issuer, rp)  # kept for later
    return Warm(
        person, tokens.json()["access_token"], code, verifier, discovery.content, jwks.content
    )


def assert_unavailable_page(response: requests.Response) -> None:
    """What a person sees: 503, a time to come back, a page saying so plainly."""
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Content-Type"].startswith("text/html")
    assert UNAVAILABLE in visible_text(response.text)


def assert_unavailable_json(response: requests.Response) -> None:
    """What a relying party sees: 503, Retry-After, the OAuth error it can act on."""
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"].isdigit()
    assert response.json()["error"] == "temporarily_unavailable"


def assert_public_documents_served(issuer: str, warm: Warm) -> None:
    """Discovery and JWKS: 200 with the very bytes served before."""
    for path, before in ((DISCOVERY, warm.discovery), (JWKS, warm.jwks)):
        response = requests.get(issuer + path, timeout=30)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.content == before


def assert_everything_works(app, issuer: str, rp, warm: Warm) -> None:
    """Without restarting Compte: the session is still open, the code taken before the
    outage is exchanged, tokens and userinfo work, and a new sign-in succeeds."""
    assert warm.person.get("/account").status_code == 200
    tokens = exchange(issuer, rp, warm.code, warm.verifier)
    assert tokens.status_code == 200, tokens.text
    assert userinfo(issuer, tokens.json()["access_token"]).json()["email"] == MEMBER
    assert userinfo(issuer, warm.access_token).status_code == 200
    newcomer = Visitor(issuer)
    assert newcomer.login(MEMBER, PASSWORD).status_code == 302
    code, verifier = authorization_code(newcomer, issuer, rp)
    assert exchange(issuer, rp, code, verifier).status_code == 200


def opened_login_form(issuer: str) -> tuple[Visitor, str]:
    """A person who opened the login page (and has not sent it yet): (browser, token)."""
    visitor = Visitor(issuer)
    page = visitor.get("/login")
    assert page.status_code == 200
    return visitor, csrf_of(page.text)


def send_login_form(login_form: tuple[Visitor, str]) -> requests.Response:
    """The person sends the login form they opened (before the outage)."""
    visitor, token = login_form
    return visitor.post(
        "/login", data={"csrf_token": token, "identifier": MEMBER, "password": PASSWORD}
    )


def check_outage(issuer: str, rp, warm: Warm, login_form: tuple[Visitor, str]) -> None:
    """Every page and endpoint that needs the database, while it is out."""
    assert_unavailable_page(send_login_form(login_form))
    assert_unavailable_page(Visitor(issuer).get("/register"))
    assert_unavailable_page(warm.person.get("/login"))
    assert_unavailable_page(warm.person.get("/account"))
    verifier, challenge = pkce()
    assert_unavailable_page(warm.person.get(authorize_url(issuer, rp, challenge)))

    assert_unavailable_json(exchange(issuer, rp, warm.code, warm.verifier))
    assert_unavailable_json(userinfo(issuer, warm.access_token))
    assert_public_documents_served(issuer, warm)


def test_database_cut_off_pages_answer_503_public_documents_stay_then_all_recovers(
    app, live_server, pg_proxy, rp
):
    """PostgreSQL cut off (connections closed, nothing listens): the login form sent, the
    registration, /login and /account of a signed-in person and /oauth/authorize show the
    503 page; the token endpoint and userinfo answer 503 temporarily_unavailable; discovery
    and JWKS stay 200 with the same bytes. Once it is back, everything works again with
    the same app, the session and the authorization code of before included."""
    warm = warm_up(app, live_server, rp)
    login_form = opened_login_form(live_server)

    pg_proxy.stop()
    check_outage(live_server, rp, warm, login_form)

    pg_proxy.start()
    assert_everything_works(app, live_server, rp, warm)


def test_database_restart_between_requests_goes_unnoticed(app, live_server, pg_proxy, rp):
    """PostgreSQL restarted between two requests (every pooled connection closed): the
    next requests get fresh connections (the pool checks them before use), no error."""
    warm = warm_up(app, live_server, rp)
    pg_proxy.stop()
    pg_proxy.start()
    assert_everything_works(app, live_server, rp, warm)


def test_database_hung_pages_answer_503_instead_of_hanging(app, live_server, pg_proxy, rp):
    """PostgreSQL hung (connections accepted, never answered): a connection attempt gives
    up after DATABASE_CONNECT_TIMEOUT, so pages and the token endpoint answer 503 instead
    of waiting for minutes; discovery and JWKS stay served; all works again once it
    answers."""
    warm = warm_up(app, live_server, rp)
    login_form = opened_login_form(live_server)

    pg_proxy.stop()  # the connections of the pool end with the server...
    pg_proxy.silent = True
    pg_proxy.start()  # ...and what answers on its address never says a word
    assert_unavailable_page(send_login_form(login_form))
    assert_unavailable_page(warm.person.get("/account"))
    assert_unavailable_json(exchange(live_server, rp, warm.code, warm.verifier))
    assert_public_documents_served(live_server, warm)

    pg_proxy.silent = False
    assert_everything_works(app, live_server, rp, warm)


def test_database_hung_concurrent_jwks_requests_are_served_from_memory(
    app, live_server, pg_proxy, rp
):
    """PostgreSQL hung while relying parties fetch JWKS together: one request at a time
    re-checks the keys in the database, the others get the keys known at once (not one
    connection timeout after another): all 200, same bytes."""
    warm = warm_up(app, live_server, rp)
    pg_proxy.stop()
    pg_proxy.silent = True
    pg_proxy.start()
    attempts_before = pg_proxy.accepted

    def fetch(_: int) -> requests.Response:
        return requests.get(live_server + JWKS, timeout=10)

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(fetch, range(12)))
    assert [r.status_code for r in responses] == [200] * 12
    assert all(r.content == warm.jwks for r in responses)
    assert pg_proxy.accepted - attempts_before < len(responses)


def test_database_cut_off_no_page_answers_a_server_error(app, live_server, pg_proxy, rp):
    """PostgreSQL cut off: no route of Compte, read (GET) or sent (POST, with the
    browser's own CSRF token), by a visitor or by a signed-in person, answers a server
    error other than 503."""
    warm = warm_up(app, live_server, rp)
    account_page = warm.person.get("/account")
    assert account_page.status_code == 200
    visitors = {
        "visitor": opened_login_form(live_server),
        "signed in": (warm.person, csrf_of(account_page.text)),
    }
    routes = sorted(
        (re.sub(r"<[^>]+>", "1", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted((rule.methods or set()) & {"GET", "POST"})
    )

    pg_proxy.stop()
    errors = []
    for who, (visitor, token) in visitors.items():
        for path, method in routes:
            if method == "GET":
                response = visitor.get(path)
            else:
                response = visitor.post(path, data={"csrf_token": token})
            if response.status_code >= 500 and response.status_code != 503:
                errors.append((who, method, path, response.status_code))
    assert errors == []
