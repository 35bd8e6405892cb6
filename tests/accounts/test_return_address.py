"""The way back to a service (issue 11, defects 3 and 6): a person who starts from a
service's authorization request goes back to that exact request after registration and
confirmation, a forgotten password, or new terms; a link opened in another browser leads
to the service's home page; nothing forged ever leads elsewhere."""

from __future__ import annotations

import re
import secrets
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from idp.accounts import links
from idp.core.extensions import db
from idp.oidc.clients import create_client
from tests.support.accounts import PASSWORD, make_account
from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import EMAIL, csrf_of, person
from tests.support.forms import PASSWORD as REGISTERED_PASSWORD
from tests.support.mail import links_in, wait_for_mail
from tests.support.registration import confirm_link, path_of

SERVICE = "https://formadist.example"


@pytest.fixture
def answers(app):
    return record_captcha_answers(app)


@pytest.fixture
def formadist(app) -> str:
    """Formadist as a client of Compte with its launcher entry; returns its client_id."""
    from idp.launcher.services import set_entry

    with app.app_context():
        client, _secret = create_client(
            name="Formadist",
            redirect_uris=[SERVICE + "/auth/callback"],
            first_party=True,
            logo_uri=SERVICE + "/static/logo.svg",
        )
        set_entry(client.client_id, name="Formadist", url=SERVICE + "/", description="Cours")
        db.session.commit()
        return client.client_id


def authorize(client_id: str) -> str:
    """An authorization request as a real service sends it (random, incompressible state,
    nonce and PKCE challenge: too long for a mail link)."""
    return (
        f"/oauth/authorize?response_type=code&client_id={client_id}"
        f"&redirect_uri={quote(SERVICE + '/auth/callback', safe='')}"
        "&scope=openid+profile+email+phone+offline_access+launcher"
        f"&state={secrets.token_urlsafe(22)}&nonce={secrets.token_urlsafe(16)}"
        f"&code_challenge={secrets.token_urlsafe(32)}&code_challenge_method=S256"
    )


def login_next(response) -> list[str] | None:
    """The `next` of a redirect to the login page."""
    location = response.headers["Location"]
    assert urlsplit(location).path == "/login", location
    return parse_qs(urlsplit(location).query).get("next")


def register_from(client, answers, request: str):
    """From the service's login page, "Créer un compte", then the form, filled."""
    login_page = client.get("/login?next=" + quote(request, safe="")).get_data(as_text=True)
    assert "/register?next=" in login_page
    url = "/register?next=" + quote(request, safe="")
    page = client.get(url).get_data(as_text=True)
    data = {**person(), "csrf_token": csrf_of(page), **captcha_fields(answers, page)}
    data["next"] = request
    assert client.post(url, data=data).status_code == 302


def sign_in(client, location: str, email: str, password: str):
    page = client.get(path_of(location)).get_data(as_text=True)
    return client.post(
        path_of(location),
        data={"identifier": email, "password": password, "csrf_token": csrf_of(page)},
    )


def test_confirmation_goes_back_to_the_exact_request(app, client, smtp_sink, answers, formadist):
    """Register from a service's (long) authorization request, confirm from the mail in the
    same browser, sign in: back to that exact request, not the service's home page."""
    request = authorize(formadist)
    register_from(client, answers, request)
    mail = wait_for_mail(smtp_sink, EMAIL)
    assert len(confirm_link(mail)) <= 400  # the mail stays deliverable
    confirmed = client.get(path_of(confirm_link(mail)))
    assert login_next(confirmed) == [request]
    response = sign_in(client, confirmed.headers["Location"], EMAIL, REGISTERED_PASSWORD)
    assert path_of(response.headers["Location"]) == request


def test_confirmation_in_another_browser_goes_to_the_service(
    app, client, smtp_sink, answers, formadist
):
    """The same link opened in a fresh browser (no cookie, no session) leads to the service's
    home page, which signs the person in at once: never "Mes services"."""
    register_from(client, answers, authorize(formadist))
    mail = wait_for_mail(smtp_sink, EMAIL)
    confirmed = app.test_client().get(path_of(confirm_link(mail)))
    assert login_next(confirmed) == [SERVICE + "/"]


def test_forged_return_address_is_ignored(app, client, smtp_sink, answers, formadist):
    """A cookie not signed by Compte, and a signed link whose address is no longer safe,
    never lead anywhere but the login page without `next`."""
    register_from(client, answers, authorize(formadist))
    mail = wait_for_mail(smtp_sink, EMAIL)
    token = path_of(confirm_link(mail)).rsplit("/", 1)[-1]
    with app.test_request_context():
        ref = links.peek_token("confirm", token)["r"]
    browser = app.test_client()
    forged = f'{{"r": "{ref}", "u": "https://evil.example/"}}'
    from idp.accounts.return_address import cookie_name

    with app.app_context():
        browser.set_cookie(cookie_name(), forged)
    assert login_next(browser.get(path_of(confirm_link(mail)))) == [SERVICE + "/"]

    with app.app_context():
        make_account(app, "autre@example.org", confirmed=False)
        from idp.accounts.services import find_by_email

        account = find_by_email("autre@example.org")
        data = {"s": account.sub, "e": account.email, "n": "https://evil.example/"}
    with app.test_request_context():
        evil = links.make_token("confirm", data)
    response = app.test_client().get(f"/register/confirm/{evil}")
    assert login_next(response) is None


def test_forgotten_password_goes_back_to_the_service(app, client, smtp_sink, formadist):
    """ "Mot de passe oublié ?" from a service's login page: the reset link, the new
    password, then signing in lead back to the service's request, not "Mes services"."""
    make_account(app, EMAIL)
    request = authorize(formadist)
    login_page = client.get("/login?next=" + quote(request, safe="")).get_data(as_text=True)
    href = unescape(re.search(r'href="(/password/forgot\?[^"]*)"', login_page).group(1))
    assert parse_qs(urlsplit(href).query)["next"] == [request]
    forgot = "/password/forgot?next=" + quote(request, safe="")
    page = client.get(forgot).get_data(as_text=True)
    client.post(forgot, data={"email": EMAIL, "csrf_token": csrf_of(page)})
    mail = wait_for_mail(smtp_sink, EMAIL)
    reset = path_of(next(link for link in links_in(mail) if "/password/reset/" in link))
    assert len(SERVICE) + len(reset) <= 400
    page = client.get(reset).get_data(as_text=True)
    new = "Girasole#2027-Nouveau"
    done = client.post(
        reset, data={"new_password": new, "confirm": new, "csrf_token": csrf_of(page)}
    )
    assert login_next(done) == [request]
    response = sign_in(client, done.headers["Location"], EMAIL, new)
    assert path_of(response.headers["Location"]) == request


def test_new_terms_then_back_to_the_request(app, client, formadist):
    """An account with terms to accept again: login, the terms, then the service's request."""
    make_account(app, "ancien@example.org", terms_version="2020-01")
    request = authorize(formadist)
    response = sign_in(
        client, "/login?next=" + quote(request, safe=""), "ancien@example.org", PASSWORD
    )
    assert path_of(response.headers["Location"]) == request
    terms = client.get(request)
    assert urlsplit(terms.headers["Location"]).path == "/terms/accept"
    page = client.get(path_of(terms.headers["Location"])).get_data(as_text=True)
    accepted = client.post(
        path_of(terms.headers["Location"]),
        data={"accept_terms": "y", "next": request, "csrf_token": csrf_of(page)},
    )
    assert path_of(accepted.headers["Location"]) == request
    back = client.get(request)
    assert back.headers["Location"].startswith(SERVICE + "/auth/callback?code=")


def test_login_and_registration_pages_name_the_service(app, client, formadist):
    """From a valid pending request of a known client, the login and registration pages
    say where the person is going, with the logo (alt="", allowed by the CSP)."""
    request = quote(authorize(formadist), safe="")
    login = client.get("/login?next=" + request)
    html = login.get_data(as_text=True)
    assert "Pour accéder à Formadist, connectez-vous." in html
    assert f'<img src="{SERVICE}/static/logo.svg" alt=""' in html
    assert SERVICE in login.headers["Content-Security-Policy"].split("img-src")[1].split(";")[0]
    register = client.get("/register?next=" + request).get_data(as_text=True)
    assert "Créez votre compte pour accéder à Formadist." in register


def test_the_header_links_keep_the_service(app, client, formadist):
    """On the login page reached from a service, the header's « Créer un compte » keeps the
    way back to it, as the page's own button does (and the registration page's « Se
    connecter » likewise); an unsafe `next` is never carried."""
    request = quote(authorize(formadist), safe="")
    page = client.get("/login?next=" + request).get_data(as_text=True)
    own = re.search(r'<a class="button big" href="([^"]+)">Créer un compte', page).group(1)
    assert "next=" in own
    assert f'<li><a href="{own}">Créer un compte</a></li>' in page  # the header's link
    page = client.get("/register?next=" + request).get_data(as_text=True)
    header = re.search(r'<header class="site-header">.*?</header>', page, re.S).group(0)
    assert re.search(r'href="/login\?next=[^"]*authorize[^"]*">Se connecter', header)
    evil = client.get("/login?next=" + quote("https://evil.example/", safe=""))
    assert "evil" not in evil.get_data(as_text=True)


def test_no_service_named_from_an_arbitrary_parameter(app, client, formadist):
    """An unknown client, a redirect URI not registered for the client, or another page
    names no service, and the CSP allows no other image origin."""
    for bad in (
        authorize("inconnu"),
        authorize(formadist).replace("formadist.example", "evil.example"),
        "/account?client_id=" + formadist,
        "https://evil.example/oauth/authorize?client_id=" + formadist,
    ):
        response = client.get("/login?next=" + quote(bad, safe=""))
        html = response.get_data(as_text=True)
        assert "Pour accéder à" not in html, bad
        assert "formadist.example" not in response.headers["Content-Security-Policy"]
