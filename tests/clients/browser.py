"""A small HTTP "browser" for the integration tests: requests + the forms of a page."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attributes.get("action") or "",
                    "method": (attributes.get("method") or "get").lower(),
                    "fields": {},
                }
            )
        elif tag in ("input", "button", "textarea", "select") and self.forms:
            name = attributes.get("name")
            if name and tag == "input" and attributes.get("type") not in ("submit", "checkbox"):
                self.forms[-1]["fields"][name] = attributes.get("value") or ""


def forms_of(response: requests.Response) -> list[dict]:
    parser = _Forms()
    parser.feed(response.text)
    for form in parser.forms:
        form["action"] = urljoin(response.url, form["action"] or response.url)
    return parser.forms


def form_with(response: requests.Response, field: str) -> dict:
    """The first form of the page holding an input named `field`."""
    for form in forms_of(response):
        if field in form["fields"]:
            return form
    raise AssertionError(f"no form with {field!r} on {response.url}:\n{response.text[:2000]}")


def form_posting_to(response: requests.Response, path_end: str) -> dict:
    for form in forms_of(response):
        if form["action"].split("?")[0].endswith(path_end):
            return form
    raise AssertionError(f"no form posting to {path_end} on {response.url}")


def submit(session: requests.Session, form: dict, **values: str) -> requests.Response:
    data = {**form["fields"], **values}
    if form["method"] == "post":
        return session.post(form["action"], data=data, timeout=15)
    return session.get(form["action"], params=data, timeout=15)


def login_at_compte(
    session: requests.Session, page: requests.Response, identifier: str, password: str
) -> requests.Response:
    """On Compte's login page: fill identifier and password, submit, follow redirects."""
    form = form_with(page, "password")
    return submit(session, form, identifier=identifier, password=password)
