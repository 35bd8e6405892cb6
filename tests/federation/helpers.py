"""Helpers of the upstream sign-in tests: the browser that walks through our Compte and
the upstream, the upstream's client for us, declaring the upstream in our Compte, and the
registration of a new person through it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from idp.core.extensions import db
from idp.federation import providers
from idp.federation.models import UpstreamLink
from idp.oidc.clients import create_client
from tests.support.forms import csrf_of
from tests.support.upstream import Upstream

CITIZEN_EMAIL = "camille.martin@example.org"
CITIZEN_PASSWORD = "Marianne-Libre-2026"
PROVIDER = "fc"


@dataclass(frozen=True)
class Citizen:
    email: str
    password: str
    sub: str


@dataclass(frozen=True)
class UpstreamClient:
    client_id: str
    client_secret: str


def register_client(upstream: Upstream, our_url: str, name: str = PROVIDER, **options):
    """Our Compte as a client of the upstream, with our addresses registered there."""
    options.setdefault("first_party", True)
    with upstream.app.app_context():
        client, secret = create_client(
            f"Compte {name} {uuid.uuid4().hex[:6]}",
            redirect_uris=[f"{our_url}/login/with/{name}/callback"],
            post_logout_redirect_uris=[f"{our_url}/login/with/{name}/logged-out"],
            scopes=("openid", "profile", "email"),
            **options,
        )
        db.session.commit()
        return UpstreamClient(client.client_id, secret)


def declare(app, issuer: str, client: UpstreamClient, name: str = PROVIDER, **options) -> None:
    """Declare the upstream in our Compte, as an administrator would."""
    options.setdefault("kind", "franceconnect")
    options.setdefault("scope", "openid profile email")  # what a Compte upstream offers
    with app.app_context():
        providers.create(
            name=name,
            issuer=issuer,
            client_id=client.client_id,
            client_secret=client.client_secret,
            **options,
        )


def _as_page(response: requests.Response) -> requests.Response:
    """A page is served as HTML (a browser shows anything else as raw text)."""
    if response.text.lstrip()[:15].lower() == "<!doctype html>":
        assert response.headers["Content-Type"].startswith("text/html"), response.url
    return response


class Browser:
    """A person's browser over real HTTP, across our Compte and the upstream: redirects
    are followed by hand, so that each step can be looked at."""

    def __init__(self, ours: str) -> None:
        self.ours = ours
        self.http = requests.Session()

    def get(self, url: str, **kwargs) -> requests.Response:
        return _as_page(self.http.get(urljoin(self.ours, url), allow_redirects=False, **kwargs))

    def post(self, url: str, data: dict | None = None, **kwargs) -> requests.Response:
        return _as_page(
            self.http.post(urljoin(self.ours, url), data=data, allow_redirects=False, **kwargs)
        )

    def post_form(self, url: str, data: dict | None = None) -> requests.Response:
        """GET the page for its CSRF token, then POST `data` to it."""
        page = self.get(url)
        assert page.status_code == 200, page.text[:1000]
        return self.post(url, {"csrf_token": csrf_of(page.text), **(data or {})})

    def at_upstream(
        self, response: requests.Response, citizen: Citizen | None, consent: str = "accept"
    ) -> requests.Response:
        """Walk the upstream's pages (its login with its CSRF token, its consent) from a
        redirect to it; returns the first answer that leads back to us (not followed)."""
        for _ in range(12):
            location = response.headers.get("Location")
            if response.status_code in (301, 302, 303) and location:
                target = urljoin(response.url, location)
                if target.startswith(self.ours):
                    return response
                if urlsplit(target).path == "/login" and citizen is not None:
                    page = self.http.get(target, allow_redirects=False)
                    response = self.http.post(
                        target,
                        data={
                            "identifier": citizen.email,
                            "password": citizen.password,
                            "csrf_token": csrf_of(page.text),
                        },
                        allow_redirects=False,
                    )
                    continue
                response = self.http.get(target, allow_redirects=False)
                continue
            if response.status_code == 200 and 'name="accept"' in response.text:
                response = self.http.post(
                    response.url,
                    data={"csrf_token": csrf_of(response.text), consent: "1"},
                    allow_redirects=False,
                )
                continue
            return response
        raise AssertionError("too many steps at the upstream")

    def sign_in_with(
        self, name: str, citizen: Citizen | None, next_url: str | None = None, **kwargs
    ) -> requests.Response:
        """Press the provider's button, sign in at the upstream; returns our callback's
        answer (not followed)."""
        params = {"next": next_url} if next_url else None
        started = self.get(f"/login/with/{name}", params=params)
        assert started.status_code == 302, started.text[:1000]
        back = self.at_upstream(started, citizen, **kwargs)
        assert back.status_code in (302, 303), back.text[:1000]
        return _as_page(
            self.http.get(urljoin(back.url, back.headers["Location"]), allow_redirects=False)
        )

    def follow(self, response: requests.Response) -> requests.Response:
        """One redirect further."""
        return _as_page(
            self.http.get(
                urljoin(response.url, response.headers["Location"]), allow_redirects=False
            )
        )

    def signed_in(self) -> bool:
        """Our "Mes services" page opens (no redirect to the login page)."""
        return self.get("/").status_code == 200


def links_of(app, account_id: int) -> list[dict]:
    """The account's links, as plain data."""
    with app.app_context():
        rows = db.session.scalars(
            db.select(UpstreamLink).where(UpstreamLink.account_id == account_id)
        )
        return [
            {
                "id": row.id,
                "subject": row.subject,
                "pivot_identity": row.pivot_identity,
                "last_used_at": row.last_used_at,
            }
            for row in rows
        ]


def register_through(browser: Browser, provider: str, citizen: Citizen, **fields):
    """A first sign-in through the provider: its registration page, then the form sent
    (names, civility, terms; `fields` change or add some). Returns (page, answer)."""
    back = browser.sign_in_with(provider, citizen)
    assert back.status_code == 302, back.text[:2000]
    assert urlsplit(back.headers["Location"]).path == f"/login/with/{provider}/register"
    page = browser.follow(back)
    assert page.status_code == 200
    form = {"csrf_token": csrf_of(page.text), "given_name": "Camille", "family_name": "Martin"}
    form.update({"civility": "mme", "accept_terms": "y", **fields})
    return page, browser.post(page.url, form)


def other_keys_in_front(upstream_app, other_jwks: dict):
    """A WSGI app in front of the upstream Compte that serves it untouched, except its
    discovery document, whose `jwks_uri` names keys the upstream never signs with (served
    at /other-jwks): every signature it makes then fails to verify."""
    import json

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/other-jwks":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps(other_jwks).encode()]
        if path != "/.well-known/openid-configuration":
            return upstream_app(environ, start_response)
        captured: dict = {}

        def keep(status, headers, exc_info=None):
            captured["status"] = status
            return lambda data: None

        body = b"".join(upstream_app(environ, keep))
        document = json.loads(body)
        document["jwks_uri"] = document["issuer"] + "/other-jwks"
        start_response(captured["status"], [("Content-Type", "application/json")])
        return [json.dumps(document).encode()]

    return app
