"""The three services against the real Compte over HTTP: login through Compte, single
sign-on, the launcher menu, refresh, the lost-invitation-link case and single logout."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
import requests

from clients.common.db import LoginSession
from clients.common.db import db as rp_db
from idp.accounts.services import create_account
from idp.core.extensions import db
from tests.clients.browser import form_posting_to, forms_of, login_at_compte, submit
from tests.clients.stack import NAMES, start_services

EMAIL = "ivan.pierre@example.org"
PASSWORD = "Formation-2026"


@pytest.fixture
def services(app, live_server, tmp_path) -> Iterator[dict[str, dict]]:
    from contextlib import ExitStack

    with app.app_context():
        create_account(
            email=EMAIL, password=PASSWORD, given_name="Ivan", family_name="Pierre", confirmed=True
        )
        db.session.commit()
    with ExitStack() as stack:
        yield start_services(app, live_server, tmp_path, stack)


def sessions_of(service: dict) -> list[LoginSession]:
    with service["app"].app_context():
        return rp_db.session.query(LoginSession).all()


def sign_in(browser: requests.Session, url: str) -> requests.Response:
    page = browser.get(url, timeout=15)
    assert "/login" in page.url, f"expected Compte's login page, got {page.url}"
    return login_at_compte(browser, page, EMAIL, PASSWORD)


def test_login_through_compte_then_single_sign_on(services, live_server):
    """formadist sends the person to Compte, comes back signed in with the launcher menu;
    cpf then opens without any password asked."""
    browser = requests.Session()
    page = sign_in(browser, services["formadist"]["url"] + "/")
    assert page.url == services["formadist"]["url"] + "/"
    assert "Mon parcours de formation" in page.text
    assert "Ivan Pierre" in page.text
    assert 'aria-label="Mes services"' in page.text
    for title in ("Mon Compte Formation", "E-communautés"):
        assert title in page.text
    assert "(vous êtes ici)" in page.text
    cpf = browser.get(services["cpf"]["url"] + "/", timeout=15)
    assert cpf.url == services["cpf"]["url"] + "/"
    assert "Synthèse de votre compte" in cpf.text
    assert EMAIL in cpf.text  # "Mes informations personnelles", from userinfo
    assert [s.sid for s in sessions_of(services["cpf"])] == [
        s.sid for s in sessions_of(services["formadist"])
    ]


def test_expired_access_token_is_refreshed(services):
    """When the access token has expired, the launcher call refreshes it first (rotation)."""
    browser = requests.Session()
    sign_in(browser, services["formadist"]["url"] + "/")
    service = services["formadist"]
    with service["app"].app_context():
        login = rp_db.session.query(LoginSession).one()
        old_access, old_refresh = login.access_token, login.refresh_token
        assert old_refresh, "offline_access must give a refresh token"
        login.expires_at = 1
        rp_db.session.commit()
    page = browser.get(service["url"] + "/", timeout=15)
    assert 'aria-label="Mes services"' in page.text
    with service["app"].app_context():
        login = rp_db.session.query(LoginSession).one()
        assert login.access_token != old_access
        assert login.expires_at > 1


def test_lost_invitation_link_comes_back_to_the_service(services):
    """Typing the service's address (no session) leads to Compte's login and back to the
    very page asked for."""
    browser = requests.Session()
    url = services["formadist"]["url"] + "/invitation?formation=NUMERIQUE-2026"
    page = sign_in(browser, url)
    assert page.url == url
    assert "Le numérique au service des usagers" in page.text


def _logout_from(browser: requests.Session, service: dict) -> requests.Response:
    """Press "Se déconnecter" and go on through Compte's pages as a person would."""
    page = browser.get(service["url"] + "/", timeout=15)
    result = submit(browser, form_posting_to(page, "/logout"))
    for _ in range(3):
        if result.url.startswith(service["url"]):
            break
        follow = re.search(r'id="oidc-continue" href="([^"]+)"', result.text)
        confirm = [f for f in forms_of(result) if f["method"] == "post" and "logout" in f["action"]]
        if follow:  # "Vous êtes déconnecté" (front-channel iframes) then "Continuer"
            result = browser.get(html.unescape(follow.group(1)), timeout=15)
        elif confirm:  # Compte asks to confirm when it cannot trust the request
            result = submit(browser, confirm[0], confirm="1")
        else:
            break
    return result


def test_logout_from_one_service_logs_out_of_all(services, live_server):
    """ "Se déconnecter" in ecommunautes ends Compte's session and, by back-channel logout,
    the sessions in formadist and cpf."""
    browser = requests.Session()
    sign_in(browser, services["formadist"]["url"] + "/")
    for name in ("cpf", "ecommunautes"):
        assert browser.get(services[name]["url"] + "/", timeout=15).url.startswith(
            services[name]["url"]
        )
    assert all(sessions_of(services[name]) for name in NAMES)
    result = _logout_from(browser, services["ecommunautes"])
    assert result.url.startswith(services["ecommunautes"]["url"] + "/logged-out"), result.url
    assert "Vous êtes déconnecté" in result.text
    for name in NAMES:
        assert sessions_of(services[name]) == [], f"{name} still has a session"
    again = browser.get(services["formadist"]["url"] + "/", timeout=15)
    assert again.url.startswith(live_server + "/login")


def test_a_callback_naming_another_issuer_is_refused(services):
    """RFC 9207: the demo service refuses an authorization response whose `iss` is not
    Compte's (a mix-up), and accepts the same response with Compte's own `iss`."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    browser = requests.Session()
    sign_in(browser, services["formadist"]["url"] + "/")
    start = browser.get(services["formadist"]["url"] + "/login", allow_redirects=False)
    at_compte = browser.get(start.headers["Location"], allow_redirects=False, timeout=15)
    callback = at_compte.headers["Location"]
    params = dict(parse_qsl(urlsplit(callback).query))
    assert params["iss"] == services["formadist"]["app"].config["ISSUER"]
    forged = callback.split("?")[0] + "?" + urlencode({**params, "iss": "https://evil.example"})
    refused = browser.get(forged, allow_redirects=False, timeout=15)
    assert refused.status_code == 400
    assert "n'a pas pu être vérifié" in refused.text.replace("&#39;", "'")
    accepted = browser.get(callback, allow_redirects=False, timeout=15)
    assert accepted.status_code == 302
