"""Property-based fuzzing of every form of the site (login, registration, password
forgotten and reset, profile, e-mails, administration…), posted with a valid CSRF token so
that the form's own validation runs: whatever is typed or sent, never a server error."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from idp.core.extensions import db
from tests.security.helpers import (
    DESTRUCTIVE,
    Page,
    fill_path,
    real_values,
    seed_site,
    signed_in,
)
from tests.security.strategies import (
    body_kind,
    fuzz_settings,
    json_bytes,
    json_values,
    raw_body,
    short_text,
    text_value,
)
from tests.support.forms import find_csrf
from tests.support.mail import links_in, wait_for_mail

# The mail delivery thread (idp/mail/worker.py) draws Message-IDs from `random` while
# hypothesis draws an example: hypothesis would take it for a strategy using `random`.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module:hypothesis.errors.HypothesisDeprecationWarning"
)


@dataclass(frozen=True)
class Form:
    page: str  # the page that shows the form
    action: str  # where it posts
    fields: tuple[tuple[str, str], ...]  # (name, value the page gave), csrf_token excluded


@pytest.fixture
def settings(settings):
    """No rate limits (hundreds of posts from one address); mails go to the real sink (the
    reset link is read from it)."""
    return {**settings, "RATELIMIT_ENABLED": False}


@pytest.fixture
def seeded(app, smtp_sink) -> dict:
    """The sweep's accounts and client, plus pages whose forms no plain GET reaches: a live
    password-reset link, a consent page, the page of an unconfirmed account."""
    from idp.oidc.clients import create_client

    seeded = seed_site(app)
    with app.app_context():
        client, _ = create_client("Communautés", redirect_uris=["https://rp.example/cb"])
        db.session.commit()
        consent_client = client.client_id
    anonymous = app.test_client()
    token = find_csrf(anonymous.get("/password/forgot").get_data(as_text=True))
    anonymous.post("/password/forgot", data={"email": "victim@compte.example", "csrf_token": token})
    link = next(
        u for u in links_in(wait_for_mail(smtp_sink, "victim@compte.example")) if "/reset/" in u
    )
    authorize = "/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": consent_client,
            "redirect_uri": "https://rp.example/cb",
            "scope": "openid profile email",
            "state": "s",
            "code_challenge": "c" * 43,
            "code_challenge_method": "S256",
        }
    )
    seeded["extra_pages"] = {
        "anonymous": [urlsplit(link).path],
        "user": [authorize],
        "admin": [authorize, f"/admin/users/{seeded['pending']}"],
    }
    return seeded


def _client(app, seeded: dict, role: str):
    return app.test_client() if role == "anonymous" else signed_in(app, seeded[role])


def _forms(app, seeded: dict, role: str) -> list[Form]:
    """Every POST form the pages show to `role` (one per action), found by rendering each
    GET route with seeded values in its path."""
    client = _client(app, seeded, role)
    found: dict[str, Form] = {}
    paths = [
        fill_path(rule, real_values(rule, seeded))
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not DESTRUCTIVE.search(rule.rule)
    ]
    for path in [*paths, *seeded["extra_pages"][role]]:
        response = client.get(path)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        for form in Page(response.get_data(as_text=True)).post_forms():
            action = (form.get("action") or path).split("#")[0]
            if DESTRUCTIVE.search(action):  # a logout or a deletion would end the run
                continue
            fields = tuple(
                (field["name"], field.get("value", ""))
                for field in form["fields"]
                if field.get("name") and field["name"] != "csrf_token"
            )
            found.setdefault(action, Form(path, action, fields))
    return sorted(found.values(), key=lambda form: form.action)


def _filled(form: Form, changes: dict, extra: list) -> MultiDict:
    """The form as the page filled it (every checkbox and radio value), with the changed
    fields replaced and extra pairs added."""
    kept = [(name, value) for name, value in form.fields if name not in changes]
    return MultiDict([*kept, *changes.items(), *extra])


@dataclass
class Visitor:
    """One browser of a role for the whole run (its CSRF token stays valid) and the forms
    its pages show."""

    role: str
    client: object
    token: str
    forms: list[Form]


@pytest.fixture(params=["anonymous", "user", "admin"])
def visitor(request, app, seeded) -> Visitor:
    """Built once, before hypothesis starts: the crawl costs a hundred requests."""
    client = _client(app, seeded, request.param)
    forms = _forms(app, seeded, request.param)
    assert forms, f"no form found for {request.param}"
    token = find_csrf(client.get(forms[0].page).get_data(as_text=True)) or ""
    return Visitor(request.param, client, token, forms)


def _run(visitor: Visitor, data, kind: str, raw: bytes, json_body) -> None:
    form = data.draw(st.sampled_from(visitor.forms), label="form")
    names = [name for name, _ in form.fields] or ["x"]
    changes = data.draw(st.dictionaries(st.sampled_from(names), text_value, max_size=6))
    extra = data.draw(
        st.lists(st.tuples(st.sampled_from(names) | short_text, text_value), max_size=2)
    )
    fields = _filled(form, changes, extra)
    if kind == "form":
        pairs = [*fields.items(multi=True), ("csrf_token", visitor.token)]
        kwargs = {"data": MultiDict(pairs)}
    elif kind == "json":  # Flask-WTF reads a JSON body as form data
        body = data.draw(st.one_of(st.just(fields.to_dict()), json_values), label="json")
        kwargs = {"data": json_bytes(body), "content_type": "application/json"}
    else:
        kwargs = {"data": raw, "content_type": "application/x-www-form-urlencoded"}
    response = visitor.client.post(form.action, headers={"X-CSRFToken": visitor.token}, **kwargs)
    assert response.status_code < 500, f"POST {form.action} ({kind}) -> {response.status_code}"
    if kind == "form":  # the token is valid: the form's own validation ran
        assert "La page a expiré" not in response.get_data(as_text=True), form.action


@fuzz_settings(300)
@given(data=st.data(), kind=body_kind, raw=raw_body, json_body=json_values)
def test_every_form_never_fails(visitor, data, kind, raw, json_body):
    """Every form each role sees, posted with a valid CSRF token and hostile values: no 5xx."""
    _run(visitor, data, kind, raw, json_body)
