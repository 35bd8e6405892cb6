"""No account enumeration: login, registration, forgotten password and resend-confirmation
answer the same status and body for an e-mail that has an account and one that has none."""

from __future__ import annotations

import difflib
import re

import pytest

from tests.security.helpers import PASSWORD, make_account
from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import find_csrf, person

KNOWN = "known.person@example.org"
PENDING = "pending.person@example.org"
UNKNOWN = "nobody.here@example.org"


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


def _normalised(html: str, email: str) -> str:
    """The page without what legitimately differs: CSRF token, captcha ids, the e-mail."""
    html = html.replace(email, "EMAIL")
    html = re.sub(r'name="csrf_token"[^>]*>', "CSRF>", html)
    html = re.sub(r'value="[^"]*"', 'value=""', html)
    html = re.sub(r"/captcha/[A-Za-z0-9_-]+\.(png|wav)", "/captcha/ID", html)
    return re.sub(r'data-captcha[\w-]*="[^"]*"', "", html)


def _answers(client, method: str, path: str, data: dict, email: str):
    response = client.open(path, method=method, data=data, follow_redirects=True)
    return response.status_code, _normalised(response.get_data(as_text=True), email)


def _same(app, post) -> None:
    make_account(app, KNOWN)
    make_account(app, PENDING, confirmed=False)
    results = {}
    for number, email in enumerate((KNOWN, PENDING, UNKNOWN)):
        client = app.test_client()
        # One address each: the per-IP failure counter must not tell the cases apart.
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number + 1}"
        results[email] = post(client, email)
    assert results[KNOWN] == results[UNKNOWN], _diff(results[KNOWN], results[UNKNOWN])
    return results


def _diff(a: tuple, b: tuple) -> str:
    lines = difflib.unified_diff(a[1].splitlines(), b[1].splitlines(), lineterm="", n=1)
    return f"a known and an unknown address differ: {a[0]} vs {b[0]}\n" + "\n".join(lines)


def test_login_answers_the_same_for_known_and_unknown_emails(app):
    """A wrong password on an existing account and any password on an unknown e-mail give
    the same status and page."""

    def post(client, email):
        page = client.get("/login").get_data(as_text=True)
        data = {"identifier": email, "password": "Wrong-Pass-123", "csrf_token": find_csrf(page)}
        return _answers(client, "POST", "/login", data, email)

    results = _same(app, post)
    assert results[PENDING] == results[UNKNOWN], _diff(
        results[PENDING], results[UNKNOWN]
    )  # a wrong password tells nothing either
    assert "Identifiant ou mot de passe incorrect." in results[UNKNOWN][1]


def test_forgotten_password_answers_the_same_for_known_and_unknown_emails(app):
    """ "Mot de passe oublié" shows the same page whether the address has an account."""

    def post(client, email):
        page = client.get("/password/forgot").get_data(as_text=True)
        data = {"email": email, "csrf_token": find_csrf(page)}
        return _answers(client, "POST", "/password/forgot", data, email)

    results = _same(app, post)
    assert results[PENDING] == results[UNKNOWN], _diff(results[PENDING], results[UNKNOWN])
    assert results[UNKNOWN][0] == 200


def test_resend_confirmation_answers_the_same_for_known_and_unknown_emails(app):
    """ "Renvoyer le courriel" answers the same for a pending, a confirmed and an unknown
    address."""

    def post(client, email):
        page = client.get("/register/resend").get_data(as_text=True)
        data = {"email": email, "csrf_token": find_csrf(page)}
        return _answers(client, "POST", "/register/resend", data, email)

    results = _same(app, post)
    assert results[PENDING] == results[UNKNOWN], _diff(results[PENDING], results[UNKNOWN])
    assert results[UNKNOWN][0] == 200


def test_registration_answers_the_same_for_a_taken_and_a_free_email(app):
    """Registering with an address that already has an account leads to the same "check
    your mailbox" page as a new address (the owner is told by mail, not the visitor)."""
    answers = record_captcha_answers(app)

    def post(client, email):
        page = client.get("/register").get_data(as_text=True)
        data = {
            **person(email),
            "csrf_token": find_csrf(page),
            **captcha_fields(answers, page),
        }
        return _answers(client, "POST", "/register", data, email)

    results = _same(app, post)
    assert results[PENDING] == results[UNKNOWN], _diff(results[PENDING], results[UNKNOWN])
    assert results[UNKNOWN][0] == 200 and "EMAIL" in results[UNKNOWN][1]
    assert PASSWORD not in results[KNOWN][1]


@pytest.fixture
def bcrypt_calls(monkeypatch) -> dict[str, int]:
    """Counts the bcrypt checks and hashings made (the cost that timing would show)."""
    import bcrypt

    from idp.accounts import passwords

    calls = {"checkpw": 0, "hashpw": 0}

    def counted(name):
        real = getattr(bcrypt, name)

        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    for name in calls:
        monkeypatch.setattr(passwords.bcrypt, name, counted(name))
    return calls


def test_sign_in_costs_one_bcrypt_check_whether_the_account_exists_or_not(
    app, client, bcrypt_calls
):
    """An unknown e-mail and a known one with a wrong password each cost exactly one
    bcrypt check and no hashing, every time (the timing of both answers is alike)."""
    make_account(app, KNOWN)
    app.config["LOGIN_CAPTCHA_AFTER"] = 10  # no captcha stage in between
    seen = {}
    for email in (UNKNOWN, KNOWN, UNKNOWN, KNOWN):
        page = client.get("/login").get_data(as_text=True)
        before = dict(bcrypt_calls)
        client.post(
            "/login",
            data={"identifier": email, "password": "Mauvais-2026", "csrf_token": find_csrf(page)},
        )
        seen.setdefault(email, []).append(
            {name: bcrypt_calls[name] - before[name] for name in bcrypt_calls}
        )
    assert seen[UNKNOWN] == seen[KNOWN] == [{"checkpw": 1, "hashpw": 0}] * 2
