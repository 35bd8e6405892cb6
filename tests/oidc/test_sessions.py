"""Browser sessions are server-side records: an ended session stays ended for every copy
of its cookie, on every instance; idle and absolute lifetimes; "Se déconnecter partout";
a password change, a lock and a deletion end sessions and tell the services."""

from __future__ import annotations

import time

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp import create_app
from idp.accounts.models import BrowserSession
from idp.core.extensions import db
from idp.oidc.models import Token
from tests.oidc.conftest import Browser, callback_params, csrf_of
from tests.oidc.helpers import authorize_url, exchange, pkce, userinfo
from tests.oidc.rp_server import LogoutRecorder
from tests.support.servers import free_port, serve_wsgi


def _copy(browser: Browser) -> Browser:
    """Another client (an attacker's) holding a copy of the browser's cookies."""
    thief = Browser(browser.issuer)
    for cookie in browser.http.cookies:
        thief.http.cookies.set_cookie(cookie)
    return thief


def _logout(browser: Browser) -> None:
    page = browser.get("/account")
    assert page.status_code == 200
    assert browser.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 200


def _signed_in(browser: Browser) -> bool:
    response = browser.get("/account")
    return response.status_code == 200


def test_a_copied_cookie_dies_with_the_logout(live_server, browser, person, rp):
    """Copy the session cookie, log out, replay the copy: /account sends to the login
    page and /oauth/authorize issues no code for the ended session."""
    browser.login(person)
    thief = _copy(browser)
    assert _signed_in(thief)
    _logout(browser)

    assert thief.get("/account").headers["Location"].startswith("/login")
    response = thief.get(authorize_url(live_server, rp, pkce()[1], prompt="none"))
    assert callback_params(response)["error"] == "login_required"
    response = thief.get(authorize_url(live_server, rp, pkce()[1]))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_on_one_instance_ends_the_session_on_the_other(
    live_server, second_instance, browser, person
):
    """A session ended through instance A is refused by instance B for every copy."""
    browser.login(person)
    thief = _copy(browser)
    assert (
        thief.http.get(f"{second_instance.url}/account", allow_redirects=False).status_code == 200
    )
    _logout(browser)
    refused = thief.http.get(f"{second_instance.url}/account", allow_redirects=False)
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_idle_timeout_ends_the_session(app, live_server, browser, person):
    """A session unused for longer than SESSION_IDLE_TIMEOUT is over; it is recorded as
    ended for being idle."""
    app.config["SESSION_IDLE_TIMEOUT"] = 1
    browser.login(person)
    assert _signed_in(browser)
    time.sleep(1.5)
    assert not _signed_in(browser)
    with app.app_context():
        (row,) = db.session.scalars(db.select(BrowserSession)).all()
        assert row.ended_at is not None and row.ended_reason == "idle"


def test_activity_keeps_an_idle_timeout_away_but_not_the_absolute_lifetime(
    app, live_server, browser, person
):
    """Requests keep a session alive past SESSION_IDLE_TIMEOUT, never past
    SESSION_MAX_LIFETIME."""
    app.config["SESSION_IDLE_TIMEOUT"] = 3
    app.config["SESSION_MAX_LIFETIME"] = 6
    browser.login(person)
    signed_in_at = time.monotonic()
    while _signed_in(browser):  # a request every 0.4 s: never idle
        assert time.monotonic() - signed_in_at < 15, "the session never ended"
        time.sleep(0.4)
    assert time.monotonic() - signed_in_at > 5  # well past the idle timeout, to its lifetime
    with app.app_context():
        (row,) = db.session.scalars(db.select(BrowserSession)).all()
        assert row.ended_reason == "expired"


def _rp_with_backchannel(make_rp, rp_url: str, name: str):
    return make_rp(name, backchannel_logout_uri=f"{rp_url}/backchannel")


def _tokens(live_server, browser, person, rp) -> dict:
    verifier, challenge = pkce()
    response = browser.authorize(
        authorize_url(live_server, rp, challenge, scope="openid offline_access"), person
    )
    result = exchange(live_server, rp, callback_params(response)["code"], verifier)
    assert result.status_code == 200, result.text
    return result.json()


def _logout_token_sids(recorder: LogoutRecorder, issuer: str) -> set[str]:
    keys = KeySet.import_key_set(requests.get(f"{issuer}/oauth/jwks", timeout=5).json())
    return {jwt.decode(token, keys).claims["sid"] for token in recorder.tokens}


def test_logout_everywhere_ends_every_browser_and_tells_the_services(
    app, live_server, person, make_rp
):
    """ "Se déconnecter partout" from one browser ends the sessions of both browsers,
    revokes every token (offline ones too) and sends a back-channel logout for each
    session that opened the service."""
    recorder = LogoutRecorder()
    with serve_wsgi(recorder, free_port()) as rp_url:
        rp = _rp_with_backchannel(make_rp, rp_url, "Formadist")
        office, home = Browser(live_server), Browser(live_server)
        office_tokens = _tokens(live_server, office, person, rp)
        home_tokens = _tokens(live_server, home, person, rp)
        page = home.get("/account")
        assert "Me déconnecter partout" in page.text
        done = home.post("/account/logout-everywhere", data={"csrf_token": csrf_of(page.text)})
        assert done.status_code == 200 and "Vous êtes déconnecté" in done.text

        assert not _signed_in(office) and not _signed_in(home)
        for tokens in (office_tokens, home_tokens):
            assert userinfo(live_server, tokens["access_token"]).status_code == 401
        with app.app_context():
            sids = set(db.session.scalars(db.select(BrowserSession.sid)))
            assert (
                db.session.scalar(
                    db.select(db.func.count(Token.id)).where(Token.revoked_at.is_(None))
                )
                == 0
            )
        assert len(recorder.tokens) == 2 and _logout_token_sids(recorder, live_server) == sids


def test_logout_everywhere_needs_the_csrf_token(live_server, browser, person):
    """A forged "Se déconnecter partout" (no CSRF token) ends nothing."""
    browser.login(person)
    assert browser.post("/account/logout-everywhere").status_code == 400
    assert _signed_in(browser)


def test_plain_logout_revokes_the_session_tokens_but_not_offline_access(
    app, live_server, browser, person, rp
):
    """Logging out ends the tokens issued in the session, except those granted for
    offline access, which by design outlive it."""
    verifier, challenge = pkce()
    response = browser.authorize(authorize_url(live_server, rp, challenge), person)
    online = exchange(live_server, rp, callback_params(response)["code"], verifier).json()
    offline = _tokens(live_server, browser, person, rp)
    _logout(browser)
    assert userinfo(live_server, online["access_token"]).status_code == 401
    assert userinfo(live_server, offline["access_token"]).status_code == 200


def test_password_change_ends_the_other_sessions_and_tells_their_services(
    app, live_server, person, make_rp
):
    """Changing the password keeps this browser signed in, ends the other browser's
    session (a copy of its cookie included) and tells its services."""
    recorder = LogoutRecorder()
    with serve_wsgi(recorder, free_port()) as rp_url:
        rp = _rp_with_backchannel(make_rp, rp_url, "Formadist")
        here, there = Browser(live_server), Browser(live_server)
        here.login(person)
        _tokens(live_server, there, person, rp)
        copy = _copy(there)
        page = here.get("/account/password")
        changed = here.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(page.text),
                "current_password": person.password,
                "new_password": "Nouveau-Mot-2027",
                "confirm": "Nouveau-Mot-2027",
            },
        )
        assert changed.status_code == 302, changed.text[:1000]
        assert _signed_in(here)
        assert not _signed_in(there) and not _signed_in(copy)
        assert len(recorder.tokens) == 1
        with app.app_context():
            reasons = set(db.session.scalars(db.select(BrowserSession.ended_reason)))
        assert reasons == {None, "password_changed"}


def test_host_prefixed_secure_cookie_with_an_https_issuer(settings, tmp_path):
    """With an https issuer the session cookie is `__Host-compte_session`, Secure,
    HttpOnly, SameSite=Lax, Path=/ and without Domain."""
    https = create_app(
        {**settings, "ISSUER": "https://compte.example.org"}, instance_path=str(tmp_path / "i")
    )
    with https.app_context():
        db.create_all()
    client = https.test_client()
    # Buffered: an unread answer would keep its database connection past dispose().
    page = client.get("/login", base_url="https://compte.example.org", buffered=True)
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("__Host-compte_session=")
    for part in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert part in cookie
    assert "Domain=" not in cookie
    with https.app_context():
        db.session.remove()
        db.engine.dispose()
