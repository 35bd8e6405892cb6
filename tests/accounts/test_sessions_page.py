"""The sessions page ("Vos appareils et sessions"): every open browser of the account with
its browser and system, this one first; signing another one out (its services told by
back-channel logout over real HTTP) or this one (the ordinary logout); what it refuses."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.accounts.models import BrowserSession
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from idp.oidc.clients import create_client
from tests.oidc.helpers import authorize_params
from tests.oidc.rp_server import LogoutRecorder
from tests.support.accounts import make_account, text
from tests.support.devices import (
    CHROME_ANDROID,
    FIREFOX_WINDOWS,
    SAFARI_IPHONE,
    browser,
    signed_in_browser,
)
from tests.support.forms import csrf_of
from tests.support.servers import free_port, serve_wsgi, wait_until

EMAIL = "ivan@example.org"
OTHER_EMAIL = "olga@example.org"


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


def _entries(html: str) -> list[str]:
    """The page's entries in order: the heading of each, tags removed."""
    headings = re.findall(r'<h2 id="session-\d+-title">(.*?)</h2>', html, re.S)
    return [re.sub(r"<[^>]+>", "", h).strip() for h in headings]


def _session_ids(app, email_account_id: int) -> dict[str, int]:
    """{user agent: row id} of the account's open sessions."""
    with app.app_context():
        rows = db.session.scalars(
            db.select(BrowserSession).where(
                BrowserSession.account_id == email_account_id, BrowserSession.ended_at.is_(None)
            )
        )
        return {row.user_agent: row.id for row in rows}


def _sign_out(client, session_id: int, page_html: str | None = None):
    page_html = page_html or text(client.get("/account/sessions"))
    return client.post(
        f"/account/sessions/{session_id}/logout", data={"csrf_token": csrf_of(page_html)}
    )


def test_the_page_lists_each_browser_with_its_name_this_one_first(app):
    """Two browsers signed in: each sees both, named "Firefox 133 sur Windows 10" and
    "Mobile Safari 17 sur iOS 17", its own first and marked "Cet appareil"."""
    make_account(app, EMAIL)
    laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS)
    phone = signed_in_browser(app, EMAIL, SAFARI_IPHONE)

    on_phone = text(phone.get("/account/sessions"))
    assert "<h1>Vos appareils et sessions</h1>" in on_phone
    assert _entries(on_phone) == [
        "Mobile Safari 17 sur iOS 17 Cet appareil",
        "Firefox 133 sur Windows 10",
    ]
    on_laptop = text(laptop.get("/account/sessions"))
    assert _entries(on_laptop) == [
        "Firefox 133 sur Windows 10 Cet appareil",
        "Mobile Safari 17 sur iOS 17",
    ]
    assert on_laptop.count('>Se déconnecter de cet appareil<span class="sr-only">') == 2
    assert "Connecté depuis le" in on_laptop and "Dernière activité" in on_laptop
    assert "Se déconnecter partout" in on_laptop  # the oidc area's form, on this page too
    assert "ne peuvent être prévenus que depuis le navigateur déconnecté" in on_laptop


def test_the_page_needs_a_signed_in_person(app):
    """Anonymous: sent to the login page."""
    response = browser(app).get("/account/sessions")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_security_page_and_the_profile_lead_to_the_page(app):
    """The security page's "Vos appareils" card counts the open browsers and links to the
    page; so does the profile's "Vos sessions" card."""
    make_account(app, EMAIL)
    signed_in_browser(app, EMAIL, SAFARI_IPHONE)
    laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS)
    security = text(laptop.get("/account/security"))
    assert "Vos appareils" in security
    assert "Votre compte est connecté sur 2 navigateurs." in security
    assert 'href="/account/sessions"' in security
    assert 'href="/account/sessions"' in text(laptop.get("/account"))


def test_signing_out_another_browser_ends_it_and_tells_its_services(app):
    """From the laptop, sign the phone out: the phone is anonymous at its next request, the
    service opened on the phone receives a logout token for the phone's session over real
    HTTP, the laptop stays signed in, and the page no longer lists the phone."""
    account_id = make_account(app, EMAIL)
    recorder = LogoutRecorder()
    with serve_wsgi(recorder, free_port()) as rp_url:
        with app.app_context():
            client, _ = create_client(
                "Formadist",
                redirect_uris=["http://127.0.0.1:9/callback"],
                backchannel_logout_uri=f"{rp_url}/backchannel",
                first_party=True,
            )
            db.session.commit()
            rp = SimpleNamespace(client_id=client.client_id, redirect_uri=client.redirect_uris[0])
        laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS)
        phone = signed_in_browser(app, EMAIL, SAFARI_IPHONE)
        code = phone.get("/oauth/authorize", query_string=authorize_params(rp))
        assert code.status_code == 302 and "code=" in code.headers["Location"]

        page = text(laptop.get("/account/sessions"))
        assert re.search(r"Mobile Safari 17 sur iOS 17.*?<li>Formadist</li>", page, re.S)
        phone_id = _session_ids(app, account_id)[SAFARI_IPHONE]
        response = _sign_out(laptop, phone_id, page)
        assert response.status_code == 302
        assert response.headers["Location"] == "/account/sessions"
        assert "1 service en a été prévenu" in text(laptop.get("/account/sessions"))

        token = wait_until(lambda: recorder.tokens and recorder.tokens[0])
    keys = KeySet.import_key_set(laptop.get("/oauth/jwks").get_json())
    claims = jwt.decode(token, keys).claims
    with app.app_context():
        row = db.session.get(BrowserSession, phone_id)
        assert claims["sid"] == row.sid and row.ended_reason == "ended_by_owner"
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.type == "sessions.ended"))
        assert event.details["reason"] == "ended_by_owner"
    assert phone.get("/account").headers["Location"].startswith("/login")
    assert laptop.get("/account").status_code == 200
    assert _entries(text(laptop.get("/account/sessions"))) == [
        "Firefox 133 sur Windows 10 Cet appareil"
    ]


def test_signing_out_this_browser_is_the_ordinary_logout(app):
    """This browser's own "Se déconnecter de cet appareil" logs it out (the logout page)
    and leaves the other browser signed in."""
    account_id = make_account(app, EMAIL)
    laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS)
    phone = signed_in_browser(app, EMAIL, SAFARI_IPHONE)
    response = _sign_out(laptop, _session_ids(app, account_id)[FIREFOX_WINDOWS])
    assert response.status_code == 200 and "Vous êtes déconnecté" in text(response)
    assert laptop.get("/account").status_code == 302
    assert phone.get("/account").status_code == 200


def test_signing_out_a_browser_needs_the_csrf_token(app):
    """A POST without the page's CSRF token (a forged form) is refused: the browser stays
    signed in."""
    account_id = make_account(app, EMAIL)
    laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS)
    phone = signed_in_browser(app, EMAIL, SAFARI_IPHONE)
    phone_id = _session_ids(app, account_id)[SAFARI_IPHONE]
    response = laptop.post(f"/account/sessions/{phone_id}/logout")
    assert response.status_code == 400
    response = laptop.post(f"/account/sessions/{phone_id}/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert phone.get("/account").status_code == 200


def test_a_person_cannot_sign_out_another_accounts_browser(app):
    """Olga posting Ivan's session id gets 404 and Ivan's browser stays signed in; an
    unknown id is 404 too."""
    ivan_id = make_account(app, EMAIL)
    make_account(app, OTHER_EMAIL)
    ivan = signed_in_browser(app, EMAIL, CHROME_ANDROID)
    olga = signed_in_browser(app, OTHER_EMAIL, FIREFOX_WINDOWS)
    ivan_session = _session_ids(app, ivan_id)[CHROME_ANDROID]
    assert _sign_out(olga, ivan_session).status_code == 404
    assert _sign_out(olga, 999_999).status_code == 404
    assert ivan.get("/account").status_code == 200
    assert "Chrome" not in text(olga.get("/account/sessions"))


def test_signing_out_everywhere_from_the_page_ends_every_browser(app):
    """The page's "Me déconnecter partout" ends this browser's session and the others."""
    make_account(app, EMAIL)
    laptop = signed_in_browser(app, EMAIL, FIREFOX_WINDOWS)
    phone = signed_in_browser(app, EMAIL, SAFARI_IPHONE)
    page = text(laptop.get("/account/sessions"))
    assert 'action="/account/logout-everywhere"' in page
    response = laptop.post("/account/logout-everywhere", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 200 and "Vous êtes déconnecté" in text(response)
    assert laptop.get("/account").status_code == 302
    assert phone.get("/account").status_code == 302
