"""Personal data: a person downloads their export and deletes their account; the relying
parties of their sessions are told through back-channel logout."""

from __future__ import annotations

import json
import threading
import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from werkzeug.wrappers import Request, Response

import idp.accounts.views.data  # noqa: F401  (routes on the accounts blueprint; see report)
from idp.accounts.models import Account, BrowserSession
from idp.accounts.services import create_account
from idp.admin import invitations
from idp.admin.models import Invitation
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from idp.launcher.services import set_entry
from idp.oidc.clients import create_client
from idp.oidc.models import Consent, SessionClient, Token
from tests.admin.conftest import PASSWORD, csrf_token
from tests.support.servers import free_port, serve_wsgi, wait_until

EMAIL = "ivan.pierre@exemple.fr"


class LogoutReceiver:
    """A tiny relying party that records the logout tokens POSTed to it."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.method == "POST" and request.path == "/backchannel-logout":
            with self.lock:
                self.tokens.append(request.form.get("logout_token", ""))
            return Response("", 200)(environ, start_response)
        return Response("not found", 404)(environ, start_response)


@pytest.fixture
def rp():
    receiver = LogoutReceiver()
    port = free_port()
    with serve_wsgi(receiver, port) as url:
        receiver.url = url
        yield receiver


@pytest.fixture
def settings(settings):
    # Flask-Mail suppresses sending when TESTING is on.
    return {**settings, "MAIL_SUPPRESS_SEND": False}


@pytest.fixture
def make_account(app):
    def make(email: str, given_name: str = "Ivan") -> int:
        with app.app_context():
            account = create_account(
                email=email,
                password=PASSWORD,
                given_name=given_name,
                family_name="Pierre",
                confirmed=True,
                terms_version=app.config.get("TERMS_VERSION"),
            )
            db.session.commit()
            return account.id

    return make


@pytest.fixture
def login():
    def do_login(client, email: str):
        page = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login",
            data={"identifier": email, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return client

    return do_login


@pytest.fixture
def person(app, make_account, login):
    """Ivan, logged in, with a consent, a token and a browser session at an RP."""
    account_id = make_account(EMAIL, given_name="Ivan")
    browser = login(app.test_client(), EMAIL)
    return account_id, browser


def _signed_in_at(app, account_id: int, rp_url: str) -> str:
    """Give the person's open browser session a client with a back-channel logout URI."""
    with app.app_context():
        client, _ = create_client(
            "Formadist",
            client_id="formadist",
            redirect_uris=[f"{rp_url}/callback"],
            backchannel_logout_uri=f"{rp_url}/backchannel-logout",
            frontchannel_logout_uri=f"{rp_url}/frontchannel-logout",
        )
        set_entry("formadist", name="Formadist", url=f"{rp_url}/")
        row = db.session.scalar(
            db.select(BrowserSession).where(BrowserSession.account_id == account_id)
        )
        assert row is not None, "the login opened a browser session"
        db.session.add(SessionClient(sid=row.sid, client_id="formadist"))
        db.session.add(Consent(account_id=account_id, client_id="formadist", scopes="openid email"))
        db.session.add(
            Token(
                client_id="formadist",
                account_id=account_id,
                access_token_hash="a" * 64,
                family_id="f" * 36,
                scope="openid email",
                issued_at=int(time.time()),
                expires_in=600,
                sid=row.sid,
            )
        )
        db.session.commit()
        return row.sid


def test_export_holds_what_compte_keeps_without_secrets(app, person, rp):
    """The JSON export lists the account, its activity and linked rows, never a hash."""
    account_id, browser = person
    _signed_in_at(app, account_id, rp.url)
    response = browser.get("/account/data/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["format"] == "compte.personal-data/1"
    assert data["account"]["email"] == EMAIL and data["account"]["given_name"] == "Ivan"
    assert "login.succeeded" in [event["type"] for event in data["activity"]]
    assert data["other"]["oauth_consent"][0]["client_id"] == "formadist"
    assert data["other"]["oauth_token"][0]["scope"] == "openid email"
    text = response.get_data(as_text=True)
    assert "password_hash" not in text and "access_token_hash" not in text and "$2b$" not in text
    assert "a" * 64 not in text


def test_data_page_shows_recent_activity(person):
    """The personal data page lists the person's recent activity in words."""
    _, browser = person
    html = browser.get("/account/data").get_data(as_text=True)
    assert "Connexion réussie" in html
    assert "Télécharger mes données" in html and "Supprimer mon compte" in html


def test_delete_refuses_a_wrong_password_or_no_confirmation(app, person):
    """A wrong password or an unticked box: a message by the field, nothing deleted."""
    account_id, browser = person
    token = csrf_token(browser.get("/account/data").get_data(as_text=True))
    response = browser.post(
        "/account/data/delete", data={"csrf_token": token, "password": "wrong", "confirm": "y"}
    )
    assert response.status_code == 400
    assert "Mot de passe incorrect." in response.get_data(as_text=True)
    response = browser.post(
        "/account/data/delete", data={"csrf_token": token, "password": PASSWORD}
    )
    assert "Cochez la case" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, account_id) is not None


def test_delete_round_trip_tells_relying_parties(app, person, rp, login):
    """Export, then delete: the RP gets a logout token, every session ends, data is gone."""
    account_id, browser = person
    other_browser = login(app.test_client(), EMAIL)  # a second session of the same person
    sid = _signed_in_at(app, account_id, rp.url)
    with app.test_request_context():
        invitations.create_invitation(email=EMAIL, client_id="formadist")
        db.session.commit()
        sub = db.session.get(Account, account_id).sub
    exported = json.loads(browser.get("/account/data/export").get_data(as_text=True))
    assert exported["account"]["sub"] == sub

    token = csrf_token(browser.get("/account/data").get_data(as_text=True))
    response = browser.post(
        "/account/data/delete",
        data={"csrf_token": token, "password": PASSWORD, "confirm": "y"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vous êtes déconnecté" in page
    assert "ont été supprimés" in page
    assert f'src="{rp.url}/frontchannel-logout?' in page.replace("&amp;", "&")

    logout_token = wait_until(lambda: rp.tokens and rp.tokens[0])
    keys = KeySet.import_key_set(json.loads(browser.get("/oauth/jwks").get_data(as_text=True)))
    claims = jwt.decode(logout_token, keys).claims
    assert claims["iss"] == app.config["ISSUER"] and claims["aud"] == "formadist"
    assert claims["sub"] == sub and claims["sid"] == sid
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]

    assert browser.get("/account").status_code == 302
    assert other_browser.get("/account").status_code == 302
    with app.app_context():
        assert db.session.get(Account, account_id) is None
        for model in (Consent, Token, BrowserSession):
            assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0
        assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0
        deleted = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.type == "account.deleted")
        )
        assert deleted.details["by"] == "self" and deleted.account_id is None
        assert "rp_notified" in deleted.details
        assert db.session.scalar(db.select(db.func.count()).select_from(SessionClient)) == 0
    page = browser.get("/login").get_data(as_text=True)
    response = browser.post(
        "/login",
        data={"identifier": EMAIL, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 200  # unknown account now: the login form again


def test_the_last_admin_cannot_delete_their_account(app, make_account, login):
    """The only administrator is asked to name another one first."""
    account_id = make_account("boss@exemple.fr")
    with app.app_context():
        db.session.get(Account, account_id).is_admin = True
        db.session.commit()
    browser = login(app.test_client(), "boss@exemple.fr")
    token = csrf_token(browser.get("/account/data").get_data(as_text=True))
    response = browser.post(
        "/account/data/delete", data={"csrf_token": token, "password": PASSWORD, "confirm": "y"}
    )
    assert response.status_code == 400
    assert "dernier administrateur" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, account_id) is not None
