"""No open redirect through `next` (login, registration, terms, logout…); safe cookies."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from idp import create_app
from idp.accounts.models import Account
from idp.core.extensions import db
from tests.security.helpers import PASSWORD, USER_EMAIL, make_account, signed_in
from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import find_csrf, person

EVIL = [
    "https://evil.example",
    "https://evil.example/oauth/authorize",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "https:evil.example",
    "http://127.0.0.1@evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example",
    "%2F%2Fevil.example",
]


LEAVING = re.compile(
    r"""(?:href|action|src|content)\s*=\s*["'](?:[^"']*;\s*url=)?\s*"""
    r"""(?:(?:https?:)?[/\\]{2}evil|javascript:|data:)""",
    re.IGNORECASE,
)


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


def _is_inside(location: str | None, issuer: str) -> bool:
    """A Location that stays in Compte: relative (one leading "/", no backslash) or ISSUER."""
    if location is None:
        return True
    if location.startswith(issuer + "/") or location == issuer:
        return True
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and not any(ord(c) < 33 for c in location)
    )


def _check(response, issuer: str, what: str) -> None:
    location = response.headers.get("Location")
    assert _is_inside(location, issuer), f"{what}: open redirect to {location!r}"
    body = response.get_data(as_text=True)
    # No link, form or refresh that leaves Compte (a form posting back to itself is fine).
    assert not LEAVING.search(body), f"{what}: {LEAVING.search(body).group(0)}"


def test_login_never_redirects_outside(app):
    """`next` on /login (GET when logged in, POST after a good password) never leaves Compte."""
    make_account(app, USER_EMAIL)
    issuer = app.config["ISSUER"]
    for evil in EVIL:
        client = app.test_client()
        page = client.get("/login", query_string={"next": evil})
        assert page.status_code == 200
        assert evil not in page.get_data(as_text=True) or evil in ("/\\evil.example",)
        response = client.post(
            "/login?" + f"next={evil}",
            data={
                "identifier": USER_EMAIL,
                "password": PASSWORD,
                "csrf_token": find_csrf(page.get_data(as_text=True)),
            },
        )
        assert response.status_code == 302, evil
        _check(response, issuer, f"POST /login next={evil!r}")
        # Already logged in: GET /login?next=… redirects at once.
        _check(client.get("/login", query_string={"next": evil}), issuer, f"GET next={evil!r}")


def test_registration_and_check_email_never_redirect_outside(app):
    """`next` given to /register (query and form) and to the wizard is dropped when unsafe."""
    answers = record_captcha_answers(app)
    issuer = app.config["ISSUER"]
    for index, evil in enumerate(EVIL[:6]):
        client = app.test_client()
        page = client.get("/register", query_string={"next": evil})
        assert page.status_code < 400
        _check(page, issuer, f"GET /register next={evil!r}")
        html = page.get_data(as_text=True)
        email = f"person{index}@example.org"
        data = {
            **person(email),
            "next": evil,
            "csrf_token": find_csrf(html),
            **captcha_fields(answers, html),
        }
        response = client.post("/register?" + f"next={evil}", data=data)
        assert response.status_code == 302, "the registration did not go through"
        _check(response, issuer, f"POST /register next={evil!r}")
        with client.session_transaction() as session:
            pending = session.get("registration_pending") or {}
            stored = [v for v in _values(dict(session)) if "evil" in str(v)]
        assert not stored, f"unsafe next kept in the session: {stored} {pending}"
        _check(client.get("/register/check-email"), issuer, "check-email")
        _check(client.get("/register/step/1", query_string={"next": evil}), issuer, "wizard step 1")


def _values(data):
    for value in data.values() if isinstance(data, dict) else data:
        if isinstance(value, dict | list | tuple):
            yield from _values(value)
        else:
            yield value


def test_terms_acceptance_never_redirects_outside(app):
    """After accepting new terms, an unsafe `next` falls back to a page of Compte."""
    issuer = app.config["ISSUER"]
    account_id = make_account(app, USER_EMAIL)
    for evil in EVIL:
        with app.app_context():
            db.session.get(Account, account_id).terms_version = "2000-01"
            db.session.commit()
        client = signed_in(app, account_id)
        page = client.get("/terms/accept", query_string={"next": evil})
        _check(page, issuer, f"GET /terms/accept next={evil!r}")
        token = find_csrf(page.get_data(as_text=True))
        response = client.post(
            "/terms/accept?" + f"next={evil}",
            data={"csrf_token": token, "accept": "y", "accept_terms": "y", "next": evil},
        )
        assert response.status_code == 302, "the terms were not accepted"
        _check(response, issuer, f"POST /terms/accept next={evil!r}")


def test_logout_never_redirects_outside(app):
    """/logout and /oauth/logout with an unregistered post_logout_redirect_uri or `next` stay
    on Compte."""
    issuer = app.config["ISSUER"]
    account_id = make_account(app, USER_EMAIL)
    for evil in EVIL:
        client = signed_in(app, account_id)
        token = find_csrf(client.get("/account").get_data(as_text=True))
        response = client.post(
            "/logout?" + f"next={evil}", data={"csrf_token": token, "next": evil}
        )
        assert response.status_code < 500
        _check(response, issuer, f"POST /logout next={evil!r}")
        client = signed_in(app, account_id)
        for method in ("GET", "POST"):
            response = client.open(
                "/oauth/logout",
                method=method,
                query_string={"post_logout_redirect_uri": evil, "next": evil, "state": "s"},
            )
            assert response.status_code < 500
            _check(response, issuer, f"{method} /oauth/logout post_logout_redirect_uri={evil!r}")


def test_invitation_and_reauth_links_never_redirect_outside(app):
    """Other pages taking `next` (login with reauth, password forgot) stay on Compte."""
    issuer = app.config["ISSUER"]
    client = signed_in(app, make_account(app, USER_EMAIL))
    for evil in EVIL:
        for path, args in (
            ("/login", {"reauth": "1"}),
            ("/password/forgot", {}),
            ("/account", {}),
            ("/", {}),
        ):
            response = client.get(path, query_string={**args, "next": evil})
            assert response.status_code < 500
            _check(response, issuer, f"{path} next={evil!r}")


def _login_cookie(app, client) -> list[str]:
    page = client.get("/login", base_url=app.config["ISSUER"])
    response = client.post(
        "/login",
        data={
            "identifier": USER_EMAIL,
            "password": PASSWORD,
            "csrf_token": find_csrf(page.get_data(as_text=True)),
        },
        base_url=app.config["ISSUER"],
        headers={"Referer": app.config["ISSUER"] + "/login"},  # checked by CSRF on https
    )
    assert response.status_code == 302
    return response.headers.getlist("Set-Cookie")


def test_session_cookie_is_httponly_and_samesite_lax(app):
    """After login the session cookie is HttpOnly and SameSite=Lax (http issuer: not Secure,
    or browsers would drop it)."""
    make_account(app, USER_EMAIL)
    cookies = [c for c in _login_cookie(app, app.test_client()) if c.startswith("compte_session=")]
    assert cookies
    for cookie in cookies:
        attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
        assert "httponly" in attributes and "samesite=lax" in attributes, cookie


def test_session_cookie_is_secure_when_the_issuer_is_https(settings, tmp_path):
    """With ISSUER https://…, the session (and remember) cookies are Secure too, and the
    device cookie is Secure and host-only (__Host-)."""
    app = create_app(
        {**settings, "ISSUER": "https://compte.example"},
        instance_path=str(tmp_path / "instance-https"),
    )
    with app.app_context():
        db.create_all()
    try:
        make_account(app, USER_EMAIL)
        client = app.test_client()
        set_cookies = _login_cookie(app, client)
        cookies = [c for c in set_cookies if "session=" in c.split(";")[0]]
        assert cookies
        cookies += [c for c in set_cookies if c.startswith("__Host-compte_device=")]
        assert len(cookies) >= 2 and not any(c.startswith("compte_device=") for c in set_cookies)
        for cookie in cookies:
            attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
            assert {"secure", "httponly", "samesite=lax"} <= attributes, cookie
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("evil", EVIL)
def test_demo_relying_parties_keep_next_local(tmp_path, evil):
    """The demo RPs' `next` after login (clients/common/auth.safe_next) never leaves the RP,
    backslash and tab tricks included."""
    from clients.common.auth import safe_next
    from clients.formadist import create_app as create_rp

    rp = create_rp(
        {
            "ISSUER": "http://127.0.0.1:9",
            "CLIENT_ID": "formadist",
            "CLIENT_SECRET": "secret",
            "BASE_URL": "http://127.0.0.1:5999",
            "SECRET_KEY": "rp-test-secret",
            "INSTANCE_PATH": str(tmp_path / "formadist"),
            "TESTING": True,
        }
    )
    with rp.test_request_context("/"):
        assert _is_inside(safe_next(evil), "http://127.0.0.1:5999"), evil
        assert safe_next("/courses?x=1") == "/courses?x=1"
