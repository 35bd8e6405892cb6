"""Logout: RP-initiated (end session endpoint), Compte's own logout button, front- and
back-channel notifications of the clients."""

from __future__ import annotations

from joserfc import jwt

from idp.core.extensions import db
from tests.oidc.conftest import csrf_of
from tests.oidc.helpers import (
    browser_tokens,
    jwks_of,
)


def test_logout_without_id_token_hint_asks_for_confirmation(live_server, browser, person, make_rp):
    """Without id_token_hint the end-session endpoint asks "Voulez-vous vous déconnecter ?"
    and logs out only after the confirmation (POST with CSRF)."""
    rp = make_rp(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    browser_tokens(live_server, browser, person, rp)
    url = f"{live_server}/oauth/logout?client_id={rp.client_id}"
    page = browser.http.get(url, allow_redirects=False)
    assert page.status_code == 200 and "Voulez-vous vous déconnecter" in page.text
    assert browser.get("/account").status_code == 200
    forged = browser.http.post(url, data={"confirm": "1"}, allow_redirects=False)
    assert browser.get("/account").status_code == 200, forged.status_code
    done = browser.http.post(
        url, data={"confirm": "1", "csrf_token": csrf_of(page.text)}, allow_redirects=False
    )
    assert done.status_code == 200 and "Vous êtes déconnecté" in done.text
    assert browser.get("/account").status_code == 302


def test_logout_with_unregistered_post_logout_redirect_uri_does_not_redirect(
    live_server, browser, person, rp
):
    """A valid id_token_hint with an unregistered post_logout_redirect_uri logs out but
    stays on Compte."""
    tokens = browser_tokens(live_server, browser, person, rp)
    response = browser.http.get(
        f"{live_server}/oauth/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
        allow_redirects=False,
    )
    assert response.status_code == 200 and "Vous êtes déconnecté" in response.text
    assert "evil.example" not in response.headers.get("Location", "")


def test_logout_with_a_bad_id_token_hint_asks_and_never_redirects(
    live_server, browser, person, make_rp
):
    """A forged id_token_hint: no redirection at all; the person is asked to confirm."""
    rp = make_rp(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    tokens = browser_tokens(live_server, browser, person, rp)
    header, payload, _sig = tokens["id_token"].split(".")
    forged = f"{header}.{payload}.AAAA"
    response = browser.http.get(
        f"{live_server}/oauth/logout",
        params={"id_token_hint": forged, "post_logout_redirect_uri": "http://127.0.0.1:9/bye"},
        allow_redirects=False,
    )
    assert response.status_code == 200 and "Voulez-vous vous déconnecter" in response.text
    assert browser.get("/account").status_code == 200


def test_compte_logout_button_uses_front_channel_iframes(live_server, browser, person, make_rp):
    """Compte's own logout lists each front-channel logout URI (with iss and sid) in an
    iframe, with a CSP that allows exactly those frame sources."""
    rp = make_rp(frontchannel_logout_uri="http://localhost:9/front")
    tokens = browser_tokens(live_server, browser, person, rp)
    sid = jwt.decode(tokens["id_token"], jwks_of(live_server)).claims["sid"]
    page = browser.get("/account")
    response = browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "Vous êtes déconnecté" in response.text
    assert "http://localhost:9/front?iss=" in response.text and f"sid={sid}" in response.text
    assert "frame-src http://localhost:9" in response.headers["Content-Security-Policy"]
    assert browser.get("/account").status_code == 302


def test_failing_backchannel_client_does_not_block_the_others(
    app, live_server, browser, person, make_rp
):
    """One RP answering 500 is logged and audited; the other RP still gets its token."""
    from tests.oidc.rp_server import LogoutRecorder
    from tests.support.servers import free_port, serve_wsgi

    recorder = LogoutRecorder()
    with serve_wsgi(recorder, free_port()) as rp_url:
        good = make_rp("Bon", backchannel_logout_uri=f"{rp_url}/backchannel")
        bad = make_rp("Cassé", backchannel_logout_uri=f"{rp_url}/fail")
        browser_tokens(live_server, browser, person, good)
        browser_tokens(live_server, browser, person, bad)
        page = browser.get("/account")
        response = browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
        assert response.status_code == 200 and "Vous êtes déconnecté" in response.text
        assert len(recorder.tokens) == 1 and recorder.failures == 1
    with app.app_context():
        from idp.audit.models import AuditEvent

        failed = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.type == "logout.backchannel_failed")
        ).all()
        assert [e.client_id for e in failed] == [bad.client_id]
        assert "HTTP 500" in failed[0].details["reason"]
