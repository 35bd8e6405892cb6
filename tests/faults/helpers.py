"""What the fault tests share (no tests): a person's browser over real HTTP, the forms
they fill, and what they read in the database afterwards."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import requests

from idp.audit.models import AuditEvent
from idp.core.extensions import db
from idp.mail.models import OutboxMessage
from tests.support.captcha import captcha_fields
from tests.support.forms import csrf_of, person
from tests.support.mail import links_in

PASSWORD = "Tournesol-2026"
NEW_PASSWORD = "Girasole#2027"
# What a browser sends when a person follows a link or submits a form.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
UNAVAILABLE = "Service momentanément indisponible"


def visible_text(html: str) -> str:
    """The words a person reads: no tags, scripts or styles, whitespace collapsed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


class Visitor:
    """A person's browser: keeps its cookies, sends a browser's Accept header, does not
    follow redirects (the tests look at each answer). Every request is bounded by
    `timeout` so that a hang fails the test instead of stalling it."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Accept"] = BROWSER_ACCEPT

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self.http.get(urljoin(self.base_url, path), allow_redirects=False, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self.http.post(urljoin(self.base_url, path), allow_redirects=False, **kwargs)

    def fill(
        self, path: str, data: dict, page: str | None = None, answers: dict | None = None
    ) -> requests.Response:
        """Open the form (at `page`, default `path`), fill it (CSRF token; the captcha
        solved when `answers` records the app's captchas and the page shows one), send it."""
        form = self.get(page or path)
        assert form.status_code == 200, form.text[:500]
        fields = {"csrf_token": csrf_of(form.text), **data}
        if answers is not None and 'name="captcha_id"' in form.text:
            fields.update(captcha_fields(answers, form.text))
        return self.post(path, data=fields)

    def login(self, identifier: str, password: str) -> requests.Response:
        return self.fill("/login", {"identifier": identifier, "password": password})

    def forgot_password(self, email: str) -> requests.Response:
        return self.fill("/password/forgot", {"email": email})

    def register(self, email: str, answers: dict) -> requests.Response:
        return self.fill("/register", person(email, PASSWORD), answers=answers)


def link_in(mail, part: str) -> str:
    """The link of `mail` whose URL contains `part` (e.g. "/register/confirm/")."""
    found = [link for link in links_in(mail) if part in link]
    assert found, f"no {part} link in the mail"
    return found[0]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def outbox(app) -> list[OutboxMessage]:
    """Every outbox row, oldest first (detached copies)."""
    with app.app_context():
        rows = list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        db.session.remove()
        return rows


def audit_types(app) -> list[str]:
    with app.app_context():
        types = list(db.session.scalars(db.select(AuditEvent.type).order_by(AuditEvent.id)))
        db.session.remove()
        return types
