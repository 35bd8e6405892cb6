"""Every route of the app, as anonymous / ordinary account / admin, with no parameters and
with junk (long, unicode, NUL, wrong types, missing CSRF, junk converter values): never 5xx."""

from __future__ import annotations

import base64
import traceback
from collections.abc import Iterator

import pytest

from tests.security.helpers import (
    DESTRUCTIVE,
    Page,
    csrf_for,
    fill_path,
    real_values,
    seed_site,
    signed_in,
    sweep_settings,
)

LONG = "A" * 5000
JUNK_VALUES = [
    LONG,
    "é€😀\u202e\ufeff\U0010ffff",
    "a\x00b",
    "nul\x00@example.org",
    "-1",
    "99999999999999999999999",
    "1e309",
    "[]",
    "{'a': 1}",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "",
]
# Field names tried on every route, on top of the names found in the route's own forms.
COMMON_NAMES = [
    "next",
    "identifier",
    "email",
    "email_confirm",
    "password",
    "token",
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "grant_type",
    "refresh_token",
    "prompt",
    "max_age",
    "id_token_hint",
    "post_logout_redirect_uri",
    "login_hint",
    "page",
    "q",
    "type",
    "status",
    "account",
    "since",
    "until",
    "step",
    "reauth",
    "captcha_id",
    "captcha_answer",
    "captcha_renew",
    "lang",
    "format",
    "invitation",
    "confirm",
    "action",
]
INT_JUNK = ["0", "2147483648", "99999999999999999999999999"]
STRING_JUNK = [LONG, "é😀\u202e", "a\x00b", "..", "%2e%2e%2f", "<script>", " "]
JUNK_HEADERS = [
    {"Authorization": "Bearer " + LONG},
    {"Authorization": "Bearer é😀"},
    {"Authorization": "Basic !!!notbase64"},
    {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode()},
    {"Authorization": "Basic " + base64.b64encode(b"nobody:").decode()},
    {"Authorization": "Bearer"},
    {"Accept-Language": "zz;q=abc, " + LONG[:300]},
    {"Accept": "application/json"},
]


@pytest.fixture
def settings(settings):
    return sweep_settings(settings)


@pytest.fixture
def seeded(app) -> dict:
    return seed_site(app)


def _paths(rule, seeded: dict) -> Iterator[str]:
    """The rule with real values, then with junk in each converter."""
    converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
    real = real_values(rule, seeded)
    yield fill_path(rule, real)
    for name, conv in converters.items():
        junk = INT_JUNK if conv == "IntegerConverter" else STRING_JUNK
        for value in junk:
            yield fill_path(rule, {**real, name: value})


def _field_names(client, path: str) -> list[str]:
    """The names of the fields of the page's forms (when the page renders one)."""
    try:
        response = client.get(path)
    except Exception:  # noqa: BLE001 - reported by the sweep itself
        return []
    if "html" not in (response.content_type or ""):
        return []
    page = Page(response.get_data(as_text=True))
    return sorted({f["name"] for f in page.inputs if f.get("name")} - {"csrf_token"})


def _requests(method: str, names: list[str], csrf: str | None) -> Iterator[tuple[str, dict]]:
    """(label, keyword arguments of client.open) for one route and method."""
    yield "bare", {}
    with_csrf = {"csrf_token": csrf} if csrf else {}
    for index, value in enumerate(JUNK_VALUES):
        data = {name: value for name in names}
        if method in ("GET", "DELETE"):
            yield f"query#{index}", {"query_string": data}
        else:
            yield f"form#{index}+csrf", {"data": {**data, **with_csrf}}
            yield f"form#{index}-csrf", {"data": data}
            yield f"json#{index}", {"json": data, "headers": {"X-CSRFToken": csrf or ""}}
    multi = [(name, v) for name in names for v in ("1", "x\x00", LONG)]
    if method in ("GET", "DELETE"):
        yield "query-multi", {"query_string": multi}
    else:
        from werkzeug.datastructures import MultiDict

        yield "form-multi", {"data": MultiDict([*multi, *with_csrf.items()])}
        yield "json-list", {"json": [1, "a", None]}
        yield "json-broken", {"data": "{not json", "content_type": "application/json"}
        yield "json-scalars", {"json": {name: [1, {"a": None}] for name in names}}
    for index, headers in enumerate(JUNK_HEADERS):
        yield f"headers#{index}", {"headers": headers}


def _client(app, seeded: dict, role: str):
    return app.test_client() if role == "anonymous" else signed_in(app, seeded[role])


def _where(error: Exception) -> str:
    """The innermost frame of our own code in the traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/idp/" in f.filename or "/clients/" in f.filename]
    return f"{ours[-1].filename}:{ours[-1].lineno}" if ours else "?"


@pytest.mark.parametrize("role", ["anonymous", "user", "admin"])
def test_no_route_answers_a_server_error(app, seeded, role):
    """No route of app.url_map answers 5xx (or raises), whoever asks and whatever is sent.
    (One test per role: the three sweeps run on separate workers.)"""
    rules = sorted(
        app.url_map.iter_rules(), key=lambda r: (bool(DESTRUCTIVE.search(r.rule)), r.rule)
    )
    failures: dict[tuple, str] = {}
    count = 0
    for rule in rules:
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        # A fresh session per route: a logout or a lock must not blind the rest.
        client = _client(app, seeded, role)
        csrf = csrf_for(client)
        real_path, *junk_paths = _paths(rule, seeded)
        names = sorted({*COMMON_NAMES, *_field_names(client, real_path)})
        plan = [(real_path, m, r) for m in methods for r in _requests(m, names, csrf)]
        plan += [
            (path, m, r)
            for path in junk_paths
            for m in methods
            for r in (("bare", {}), ("csrf", {"data": {"csrf_token": csrf}}))
        ]
        for path, method, (label, kwargs) in plan:
            count += 1
            where = f"{method} {path[:80]} [{role}, {label}]"
            try:
                response = client.open(path, method=method, **kwargs)
            except Exception as error:  # noqa: BLE001 - collected, reported below
                failures.setdefault(
                    (rule.endpoint, method, role, label),
                    f"{where} raised {type(error).__name__}: {str(error)[:160]} at {_where(error)}",
                )
                continue
            if response.status_code >= 500:
                failures.setdefault(
                    (rule.endpoint, method, role, label), f"{where} -> {response.status_code}"
                )
    assert count > 1000, count
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(sorted(failures.values()))


def test_oidc_endpoints_survive_non_ascii_parameters_and_non_utf8_basic_auth(app):
    """/oauth/authorize with a non-ASCII response_type, and /oauth/revoke and /oauth/introspect
    with a Basic header that is not UTF-8, answer an OAuth error, not a 500."""
    client = app.test_client()
    bad_basic = {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()}
    statuses = [
        client.get("/oauth/authorize", query_string={"response_type": "é"}).status_code,
        client.post("/oauth/revoke", data={"token": "x"}, headers=bad_basic).status_code,
        client.post("/oauth/introspect", data={"token": "x"}, headers=bad_basic).status_code,
    ]
    assert all(status < 500 for status in statuses), statuses
