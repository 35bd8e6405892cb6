"""No secret in the logs: a whole registration, login, reset and token flow at DEBUG level
leaves no password, link token, client secret, code or token in any log record."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from idp.core.extensions import db
from tests.support.captcha import captcha_fields, record_captcha_answers
from tests.support.forms import find_csrf
from tests.support.mail import links_in, wait_for_mail

EMAIL = "secret.keeper@example.org"
FIRST_PASSWORD = "Premier#Secret2026"
NEW_PASSWORD = "Second#Secret2027"
REDIRECT_URI = "https://rp.example/callback"
# The test SMTP server (aiosmtpd, our mail sink) logs what it receives: that is the
# mailbox, not Compte's logs.
SINK_LOGGERS = ("mail.log", "aiosmtpd")


@pytest.fixture
def settings(settings):
    return {**settings, "RATELIMIT_ENABLED": False}


def _path_token(link: str) -> str:
    return urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]


def _register_and_confirm(app, client, smtp_sink) -> str:
    answers = record_captcha_answers(app)
    page = client.get("/register").get_data(as_text=True)
    data = {
        "civility": "mme",
        "given_name": "Alice",
        "family_name": "Durand",
        "birthdate": "1980-02-03",
        "email": EMAIL,
        "email_confirm": EMAIL,
        "password": FIRST_PASSWORD,
        "password_confirm": FIRST_PASSWORD,
        "accept_terms": "y",
        "csrf_token": find_csrf(page),
        **captcha_fields(answers, page),
    }
    assert client.post("/register", data=data).status_code == 302
    link = next(u for u in links_in(wait_for_mail(smtp_sink, EMAIL)) if "/confirm/" in u)
    assert client.get(urlsplit(link).path).status_code in (200, 302)
    return _path_token(link)


def _login(client, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    data = {"identifier": EMAIL, "password": password, "csrf_token": find_csrf(page)}
    assert client.post("/login", data=data).status_code == 302


def _reset(client, smtp_sink) -> str:
    page = client.get("/password/forgot").get_data(as_text=True)
    client.post("/password/forgot", data={"email": EMAIL, "csrf_token": find_csrf(page)})
    mail = wait_for_mail(smtp_sink, EMAIL, count=2)
    link = next(u for u in links_in(mail) if "/password/reset/" in u)
    path = urlsplit(link).path
    page = client.get(path).get_data(as_text=True)
    data = {
        "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "csrf_token": find_csrf(page),
    }
    assert client.post(path, data=data).status_code == 302
    return _path_token(link)


def _token_flow(app, client) -> list[str]:
    from idp.oidc.clients import create_client

    with app.app_context():
        rp, secret = create_client(
            "Formadist",
            redirect_uris=[REDIRECT_URI],
            first_party=True,
            scopes="openid profile email offline_access",
        )
        db.session.commit()
        client_id = rp.client_id
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    response = client.get(
        "/oauth/authorize",
        query_string={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile email offline_access",
            "prompt": "consent",
            "state": "st",
            "nonce": "no",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    if response.status_code == 200:  # a consent page after all: accept it
        html = response.get_data(as_text=True)
        action = re.search(r'<form method="post" action="(/oauth/authorize[^"]*)"', html).group(1)
        data = {"csrf_token": find_csrf(html), "accept": "y"}
        response = client.post(unescape(action), data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    code = parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    auth = {"Authorization": f"Basic {basic}"}
    tokens = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        headers=auth,
    ).get_json()
    assert "access_token" in tokens, tokens
    access = tokens["access_token"]
    assert client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {access}"}).is_json
    client.post("/oauth/introspect", data={"token": access}, headers=auth)
    found = [secret, basic, code, verifier, access, tokens["id_token"]]
    if tokens.get("refresh_token"):
        refreshed = client.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            headers=auth,
        ).get_json()
        found += [tokens["refresh_token"], refreshed.get("access_token", "")]
        client.post("/oauth/revoke", data={"token": refreshed["refresh_token"]}, headers=auth)
    client.post("/oauth/revoke", data={"token": access}, headers=auth)
    return found


def _run_flow(app, smtp_sink) -> tuple[dict[str, str], dict[str, str]]:
    """The whole flow; returns (account secrets, OAuth values) to look for in the logs."""
    client = app.test_client()
    confirm_token = _register_and_confirm(app, client, smtp_sink)
    _login(client, FIRST_PASSWORD)
    client = app.test_client()
    reset_token = _reset(client, smtp_sink)
    _login(client, NEW_PASSWORD)
    secret, basic, code, verifier, *tokens = _token_flow(app, client)
    wrong = app.test_client()  # a wrong password is not logged either
    page = wrong.get("/login").get_data(as_text=True)
    wrong.post(
        "/login",
        data={"identifier": EMAIL, "password": "Typo#Secret2026", "csrf_token": find_csrf(page)},
    )
    account_secrets = {
        "first password": FIRST_PASSWORD,
        "new password": NEW_PASSWORD,
        "wrong password": "Typo#Secret2026",
        "confirmation token": confirm_token,
        "reset token": reset_token,
        "client secret": secret,
        "Basic credentials": basic,
        "authorization code": code,
        "PKCE verifier": verifier,
    }
    issued = {f"issued token #{i}": value for i, value in enumerate(tokens) if value}
    return account_secrets, issued


def _leaks(caplog, secrets_: dict[str, str]) -> list[str]:
    records = [r for r in caplog.records if not r.name.startswith(SINK_LOGGERS)]
    assert any(r.name == "idp.canary" for r in records), "caplog is not capturing DEBUG"
    leaks = []
    for record in records:
        text = " ".join(
            [record.getMessage(), repr(record.args), record.exc_text or "", str(record.__dict__)]
        )
        leaks += [
            f"{name} in {record.name}: {record.getMessage()[:160]}"
            for name, value in secrets_.items()
            if value in text
        ]
    return leaks


def test_no_password_link_token_or_client_secret_reaches_the_logs(app, smtp_sink, caplog):
    """Registration, confirmation, login (right and wrong), reset, code + token + refresh +
    introspection + revocation at DEBUG: no password, link token, client secret, Basic
    credentials, code or PKCE verifier appears in any log record."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("idp.canary").debug("capture check")
    account_secrets, _issued = _run_flow(app, smtp_sink)
    assert not (leaks := _leaks(caplog, account_secrets)), "\n".join(leaks)


def test_no_issued_token_reaches_the_logs(app, smtp_sink, caplog):
    """Access, refresh and ID tokens never appear in the logs, even at DEBUG."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("idp.canary").debug("capture check")
    _account_secrets, issued = _run_flow(app, smtp_sink)
    assert not (leaks := _leaks(caplog, issued)), "\n".join(leaks)
