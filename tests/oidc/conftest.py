"""Fixtures of the OpenID Provider tests: a person, client applications, a browser."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from idp import create_app
from idp.core.extensions import db
from idp.maintenance import stop_background
from tests.support.forms import csrf_of
from tests.support.servers import free_port, serve_wsgi

PASSWORD = "Bonjour-Formation-2026"
REDIRECT_URI = "http://127.0.0.1:9/callback"


@dataclass
class Person:
    email: str
    password: str
    sub: str
    id: int


@dataclass
class RP:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    options: dict = field(default_factory=dict)


@pytest.fixture
def person(app) -> Person:
    """A confirmed account with a full profile."""
    from idp.accounts.services import create_account

    with app.app_context():
        account = create_account(
            email="ivan.petit@example.fr",
            password=PASSWORD,
            given_name="Ivan",
            family_name="Petit",
            civility="m",
            birthdate=date(1980, 5, 17),
            mobile="0612345678",
            nir="1800575123456" + f"{97 - 1800575123456 % 97:02d}",
            confirmed=True,
        )
        account.address = "1 rue de la Paix, 75002 Paris"
        db.session.commit()
        return Person(account.email, PASSWORD, account.sub, account.id)


@pytest.fixture
def make_rp(app):
    """Register a client application: make_rp(**create_client options) -> RP."""
    from idp.oidc.clients import create_client

    def make(name: str = "Formadist", redirect_uris=(REDIRECT_URI,), **options) -> RP:
        with app.app_context():
            client, secret = create_client(name, redirect_uris=redirect_uris, **options)
            db.session.commit()
            return RP(client.client_id, secret, redirect_uris[0] if redirect_uris else "", options)

    return make


@pytest.fixture
def rp(make_rp) -> RP:
    """A confidential client (client_secret_basic) with the default scopes."""
    return make_rp()


class Browser:
    """A person's browser over real HTTP: follows Compte's redirects, stops at the RP."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.http = requests.Session()
        self.logins = 0
        self.consents = 0
        self.last_page = ""

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.http.get(urljoin(self.issuer, url), allow_redirects=False, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.http.post(urljoin(self.issuer, url), allow_redirects=False, **kwargs)

    def login(self, person: Person) -> None:
        """Log in on Compte's own login page."""
        page = self.get("/login")
        assert page.status_code == 200, page.text[:500]
        done = self.post(
            "/login",
            data={
                "identifier": person.email,
                "password": person.password,
                "csrf_token": csrf_of(page.text),
            },
        )
        assert done.status_code == 302, done.text[:2000]
        self.logins += 1

    def authorize(
        self, url: str, person: Person | None = None, consent: str = "accept", max_steps: int = 10
    ) -> requests.Response:
        """Walk from an authorization URL through login and consent; returns the first
        response that leaves Compte (redirect to the RP) or a page Compte shows."""
        response = self.http.get(url, allow_redirects=False)
        for _ in range(max_steps):
            location = response.headers.get("Location")
            if response.status_code in (301, 302, 303) and location:
                target = urljoin(response.url, location)
                if not target.startswith(self.issuer):
                    return response
                path = urlsplit(target).path
                if path == "/login" and person is not None:
                    page = self.http.get(target, allow_redirects=False)
                    assert page.status_code == 200, page.text[:500]
                    response = self.http.post(
                        target,
                        data={
                            "identifier": person.email,
                            "password": person.password,
                            "csrf_token": csrf_of(page.text),
                        },
                        allow_redirects=False,
                    )
                    self.logins += 1
                    continue
                response = self.http.get(target, allow_redirects=False)
                continue
            if response.status_code == 200 and 'name="accept"' in response.text and consent:
                self.consents += 1
                self.last_page = response.text
                response = self.http.post(
                    response.url,
                    data={"csrf_token": csrf_of(response.text), consent: "1"},
                    allow_redirects=False,
                )
                continue
            return response
        raise AssertionError("too many steps")


def callback_params(response: requests.Response) -> dict[str, str]:
    """The parameters a redirect to the RP carries."""
    location = response.headers["Location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def browser(live_server) -> Browser:
    return Browser(live_server)


@dataclass
class Instance:
    url: str
    app: object


@pytest.fixture
def second_instance(app, settings, tmp_path):
    """Another Compte instance on the same database (one issuer, two processes' worth of
    state: each app has its own caches), served on its own port."""
    other = create_app(settings, instance_path=str(tmp_path / "instance-b"))
    with serve_wsgi(other, free_port()) as url:
        yield Instance(url, other)
    stop_background(other, timeout=10)
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
