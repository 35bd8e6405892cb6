"""Focused regressions of the bugs the sweep found (each also covered by the sweep)."""

from __future__ import annotations

import json

import pytest

from tests.security.helpers import ADMIN_EMAIL, USER_EMAIL, make_account, signed_in
from tests.support.forms import find_csrf


@pytest.fixture
def settings(settings):
    """An operator may turn Flask-Limiter off (RATELIMIT_ENABLED = false)."""
    return {**settings, "RATELIMIT_ENABLED": False, "LOGIN_CAPTCHA_AFTER": 2}


def test_login_works_and_still_asks_a_captcha_with_rate_limiting_off(app):
    """With RATELIMIT_ENABLED false the login page answers (no 500 from a missing limiter
    storage) and the captcha still comes after repeated failures."""
    make_account(app, USER_EMAIL)
    client = app.test_client()
    assert client.get("/login").status_code == 200
    for _ in range(3):
        page = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login",
            data={"identifier": USER_EMAIL, "password": "Wrong-123", "csrf_token": find_csrf(page)},
        )
        assert response.status_code in (200, 429)
    assert 'name="captcha_answer"' in response.get_data(as_text=True)


@pytest.mark.parametrize("number", ["0", "2147483648", "9223372036854775808", "9" * 30])
def test_admin_pages_answer_404_for_out_of_range_ids(app, number):
    """/admin/users/<id>, invitations and registration tokens answer 404 (not a database
    overflow error) for ids no row can have."""
    client = signed_in(app, make_account(app, ADMIN_EMAIL, admin=True))
    token = find_csrf(client.get("/admin/users").get_data(as_text=True))
    assert client.get(f"/admin/users/{number}").status_code == 404
    assert client.get(f"/admin/users/{number}/export").status_code == 404
    for path in (
        f"/admin/users/{number}/lock",
        f"/admin/invitations/{number}/resend",
        f"/admin/clients/registration-tokens/{number}/revoke",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


def test_nul_characters_are_refused_with_400_everywhere(app):
    """A NUL character in the path, the query or a form is answered 400 (on PostgreSQL it
    used to reach a query and fail with a 500); a JSON API refuses it without a 500."""
    client = signed_in(app, make_account(app, ADMIN_EMAIL, admin=True))
    token = find_csrf(client.get("/admin/users").get_data(as_text=True))
    assert client.get("/captcha/a%00b.png").status_code == 400
    assert client.get("/admin/clients/a%00b").status_code == 400
    assert client.get("/admin/users", query_string={"q": "a\x00"}).status_code == 400
    anonymous = app.test_client()
    page = anonymous.get("/login").get_data(as_text=True)
    response = anonymous.post(
        "/login",
        data={"identifier": "x\x00@example.org", "password": "x", "csrf_token": find_csrf(page)},
    )
    assert response.status_code == 400
    assert (
        client.post("/admin/clients/new", data={"csrf_token": token, "name": "a\x00"}).status_code
        == 400
    )
    response = app.test_client().post("/oauth/register", json={"client_name": "a\x00"})
    assert response.status_code < 500  # JSON API: refused (no initial access token)
    assert client.get("/admin/users", query_string={"q": "ok"}).status_code == 200


def test_nul_characters_in_a_json_form_post_are_refused(app):
    """Flask-WTF reads JSON bodies as forms: a NUL in one is answered 400, not a 500."""
    client = app.test_client()
    token = find_csrf(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        json={"identifier": "x\x00@example.org", "password": "x"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400


@pytest.mark.parametrize("body", [[1, "a"], 7, {"identifier": 1, "password": [1, {}]}])
def test_a_json_body_posted_to_a_form_is_an_empty_form(app, body):
    """Found by the form fuzzer: Flask-WTF read a JSON body as form data, numbers, lists
    and objects included, and every form failed with a 500. A JSON body now leaves the
    form empty: the login page answers with its errors and nobody is logged in."""
    make_account(app, USER_EMAIL)
    client = app.test_client()
    token = find_csrf(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code in (200, 400)
    assert client.get("/account").status_code == 302  # still anonymous


def test_a_json_body_on_profile_forms_is_refused_without_a_server_error(app):
    """Found by the form fuzzer: the profile and e-mail forms of a signed-in person,
    posted as JSON with a number where a text is expected, answered 500."""
    client = signed_in(app, make_account(app, USER_EMAIL))
    token = find_csrf(client.get("/account").get_data(as_text=True))
    for path in ("/account", "/account/emails", "/account/password"):
        response = client.post(
            path,
            json={"given_name": 1, "email": 1.5, "new_password": [1]},
            headers={"X-CSRFToken": token},
        )
        assert response.status_code < 500, path


def test_json_array_posted_to_the_logout_endpoint(app):
    """Found by the protocol fuzzer: a JSON array POSTed to /oauth/logout by a signed-in
    person made the confirmation form fail (500); the confirmation page is shown."""
    client = signed_in(app, make_account(app, USER_EMAIL))
    response = client.post("/oauth/logout", json=[1, "a", None])
    assert response.status_code == 200
    assert client.get("/account").status_code == 200  # still signed in


@pytest.mark.parametrize("body", [[1], "x", {"previous": "a\udc80"}, {"previous": "\x00"}])
def test_new_captcha_characters_with_junk_json(app, body):
    """Found by the fuzzers: "Nouveaux caractères" with a JSON array, a string or a
    lone surrogate as the previous challenge id answered 500; it gives a new challenge."""
    client = app.test_client()
    token = find_csrf(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/captcha/new",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json["image"].startswith("/captcha/")
