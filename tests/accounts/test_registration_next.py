"""Registration keeps `next` (seed 000: Formadist → login → "Créer un compte" → mail →
confirm → login → back to Formadist): through the form, the confirmation link and the
login redirect; unsafe values are dropped; an invitation's service keeps priority."""

from __future__ import annotations

import re
import secrets
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import EMAIL, PASSWORD, csrf_of, person
from tests.support.mail import wait_for_mail
from tests.support.registration import INVITED, add_service, confirm_link, invite, path_of

AUTHORIZE = "/oauth/authorize?client_id=formadist&response_type=code&scope=openid&state=xyz"
UNSAFE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "https://formadist.example@evil.example/",
]


@pytest.fixture
def answers(app):
    return record_captcha_answers(app)


def hidden_next(html: str) -> str:
    found = re.search(r'<input[^>]*name="next"[^>]*>', html)
    assert found, "no hidden next field"
    value = re.search(r'value="([^"]*)"', found.group(0))
    return unescape(value.group(1)) if value else ""


def register_with_next(client, answers, next_url: str, **overrides):
    """GET /register?next=…, then POST the form to bare /register: only the hidden field
    carries `next` (plus, for a forged POST, whatever `overrides` says)."""
    page = client.get("/register?next=" + quote(next_url, safe="")).get_data(as_text=True)
    data = {**person(), "csrf_token": csrf_of(page), **captcha_fields(answers, page)}
    data["next"] = hidden_next(page)
    data.update(overrides)
    return page, client.post("/register", data=data)


def confirmation_redirect(client, smtp_sink, email: str = EMAIL, count: int = 1):
    mail = wait_for_mail(smtp_sink, email, count=count)
    response = client.get(path_of(confirm_link(mail)))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(location).path == "/login"
    return location, parse_qs(urlsplit(location).query)


def test_next_goes_through_form_link_and_login(app, client, smtp_sink, answers):
    """`next=/oauth/authorize?…` is kept in a hidden field, in the confirmation link, then
    the login page (e-mail filled) sends the person on to it after the password."""
    page, response = register_with_next(client, answers, AUTHORIZE)
    assert hidden_next(page) == AUTHORIZE
    assert "/login?next=" in page  # "Se connecter" keeps it too
    assert response.headers["Location"].endswith("/register/check-email")

    location, query = confirmation_redirect(client, smtp_sink)
    assert query["identifier"] == [EMAIL] and query["next"] == [AUTHORIZE]
    login_page = client.get(path_of(location)).get_data(as_text=True)
    assert f'value="{EMAIL}"' in login_page
    response = client.post(
        path_of(location),
        data={"identifier": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(login_page)},
    )
    assert response.status_code == 302
    assert path_of(response.headers["Location"]) == AUTHORIZE


def test_registered_service_origin_is_kept(app, client, smtp_sink, answers):
    """An absolute `next` on a registered service's origin is allowed."""
    add_service(app, "Formadist", "https://formadist.example", "Formation à distance")
    _page, _response = register_with_next(client, answers, "https://formadist.example/cours")
    _location, query = confirmation_redirect(client, smtp_sink)
    assert query["next"] == ["https://formadist.example/cours"]


def test_unsafe_next_is_dropped(app, client, smtp_sink, answers):
    """Another site (or a disguised one) never reaches the page, the link or the login
    redirect, even when forged into the POST."""
    add_service(app, "Formadist", "https://formadist.example", "Formation à distance")
    for unsafe in UNSAFE:
        page = client.get("/register?next=" + quote(unsafe, safe="")).get_data(as_text=True)
        assert hidden_next(page) == "", unsafe
        assert "evil.example" not in page and "javascript:" not in page
    _page, response = register_with_next(client, answers, UNSAFE[0], next=UNSAFE[0])
    assert response.status_code == 302
    _location, query = confirmation_redirect(client, smtp_sink)
    assert query["identifier"] == [EMAIL] and "next" not in query


def test_unsafe_next_in_the_query_of_the_post_is_dropped(app, client, smtp_sink, answers):
    """The form posts to its own URL: an unsafe `next` in that query string is refused too."""
    url = "/register?next=" + quote("https://evil.example/", safe="")
    page = client.get(url).get_data(as_text=True)
    data = {**person(), "csrf_token": csrf_of(page), **captcha_fields(answers, page)}
    assert client.post(url, data=data).status_code == 302
    _location, query = confirmation_redirect(client, smtp_sink)
    assert "next" not in query


def test_invitation_landing_keeps_priority(app, client, smtp_sink, answers):
    """With both an invitation and a `next`, confirmation leads to the invited service."""
    token = invite(app)
    url = f"/register?invitation={token}&next=" + quote(AUTHORIZE, safe="")
    page = client.get(url).get_data(as_text=True)
    assert hidden_next(page) == AUTHORIZE
    data = person(given_name="Ivana", family_name="Petrova", civility="mme")
    data.update(email=INVITED, email_confirm=INVITED, next=AUTHORIZE, invitation_token=token)
    data.update(csrf_token=csrf_of(page), **captcha_fields(answers, page))
    assert client.post(url, data=data).status_code == 302
    _location, query = confirmation_redirect(client, smtp_sink, INVITED)
    assert query["next"] == ["https://formadist.example"]


def test_resent_link_keeps_next(app, client, smtp_sink, answers):
    """ "Renvoyer le courriel" from the check-your-mailbox page sends a link that still
    leads back to the service."""
    register_with_next(client, answers, AUTHORIZE)
    wait_for_mail(smtp_sink, EMAIL)
    page = client.get("/register/check-email").get_data(as_text=True)
    client.post("/register/resend", data={"email": EMAIL, "csrf_token": csrf_of(page)})
    _location, query = confirmation_redirect(client, smtp_sink, count=2)
    assert query["next"] == [AUTHORIZE]


def long_authorize(client_id: str) -> str:
    """A real-looking authorization request (PKCE, state, nonce: random, incompressible)."""
    return (
        f"/oauth/authorize?response_type=code&client_id={client_id}"
        "&redirect_uri=https%3A%2F%2Fformadist.example%2Fauth%2Fcallback"
        "&scope=openid+profile+email+phone+offline_access+launcher"
        f"&state={secrets.token_urlsafe(22)}&nonce={secrets.token_urlsafe(16)}"
        f"&code_challenge={secrets.token_urlsafe(32)}&code_challenge_method=S256"
    )


def test_long_next_keeps_the_mail_deliverable(app, client, smtp_sink, answers):
    """A long authorization request would push the link past SMTP's 998-character lines:
    the link then carries the service's home page instead (unknown service: no `next`),
    which is where it leads in another browser, and the mail is delivered."""
    from idp.launcher.services import entries_for

    add_service(app, "Formadist", "https://formadist.example", "Formation à distance")
    with app.app_context():
        client_id = entries_for(None)[0].client_id
    for email, target, expected in (
        (EMAIL, long_authorize(client_id), ["https://formadist.example"]),
        ("autre@yopmail.com", long_authorize("inconnu"), None),
    ):
        register_with_next(client, answers, target, email=email, email_confirm=email)
        mail = wait_for_mail(smtp_sink, email)
        assert len(confirm_link(mail)) <= 400
        html = mail.message.get_body(preferencelist=("html",)).get_content()
        assert max(len(line) for line in (mail.text + html).splitlines()) <= 998
        _location, query = confirmation_redirect(app.test_client(), smtp_sink, email)
        assert query.get("next") == expected
