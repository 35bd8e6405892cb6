"""Single logout on the relying-party side: back-channel and front-channel receivers."""

from __future__ import annotations

from tests.clients.conftest import open_session, session_exists


def test_backchannel_logout_ends_the_session_of_that_sid(rp_app, test_issuer):
    """A valid logout token for sid-1 ends that session, even without its cookie."""
    browser = rp_app.test_client()
    login_id = open_session(rp_app, browser, sid="sid-1")
    other = open_session(rp_app, rp_app.test_client(), sid="sid-2", sub="sub-2")
    response = rp_app.test_client().post(
        "/backchannel-logout", data={"logout_token": test_issuer.logout_token(sid="sid-1")}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert not session_exists(rp_app, login_id)
    assert session_exists(rp_app, other)
    page = browser.get("/")
    assert page.status_code == 302
    assert page.headers["Location"].startswith(f"{test_issuer.url}/oauth/authorize?")


def test_backchannel_logout_refuses_a_replayed_jti(rp_app, test_issuer):
    """The same logout token twice: the second is refused with 400."""
    token = test_issuer.logout_token(jti="replay-me")
    client = rp_app.test_client()
    assert client.post("/backchannel-logout", data={"logout_token": token}).status_code == 200
    second = client.post("/backchannel-logout", data={"logout_token": token})
    assert second.status_code == 400
    assert second.json["error"] == "invalid_request"


def test_backchannel_logout_refuses_a_forged_token(rp_app, test_issuer):
    """A token for another audience leaves the session open and answers 400."""
    login_id = open_session(rp_app, rp_app.test_client())
    response = rp_app.test_client().post(
        "/backchannel-logout", data={"logout_token": test_issuer.logout_token(aud="someone-else")}
    )
    assert response.status_code == 400
    assert session_exists(rp_app, login_id)
    assert rp_app.test_client().post("/backchannel-logout").status_code == 400


def test_backchannel_logout_by_sub_ends_every_session_of_the_person(rp_app, test_issuer):
    """Without sid, every session of that sub ends."""
    first = open_session(rp_app, rp_app.test_client(), sid="a")
    second = open_session(rp_app, rp_app.test_client(), sid="b")
    token = test_issuer.logout_token(sid=None, sub="sub-1")
    assert (
        rp_app.test_client().post("/backchannel-logout", data={"logout_token": token}).status_code
        == 200
    )
    assert not session_exists(rp_app, first)
    assert not session_exists(rp_app, second)


def test_backchannel_logout_accepts_a_rotated_key(rp_app, test_issuer):
    """After the OP rotates its signing key, the RP fetches the new JWKS and accepts it."""
    client = rp_app.test_client()
    assert (
        client.post(
            "/backchannel-logout", data={"logout_token": test_issuer.logout_token()}
        ).status_code
        == 200
    )
    test_issuer.rotate()
    login_id = open_session(rp_app, rp_app.test_client(), sid="sid-9")
    token = test_issuer.logout_token(sid="sid-9")
    assert client.post("/backchannel-logout", data={"logout_token": token}).status_code == 200
    assert not session_exists(rp_app, login_id)


def test_frontchannel_logout_with_iss_and_sid(rp_app, test_issuer):
    """The iframe URL with the right iss and sid ends that session; framing is allowed for
    Compte only."""
    login_id = open_session(rp_app, rp_app.test_client(), sid="sid-f")
    wrong = rp_app.test_client().get("/frontchannel-logout?iss=http://evil.test&sid=sid-f")
    assert wrong.status_code == 200
    assert session_exists(rp_app, login_id)
    response = rp_app.test_client().get(f"/frontchannel-logout?iss={test_issuer.url}&sid=sid-f")
    assert response.status_code == 200
    assert not session_exists(rp_app, login_id)
    assert f"frame-ancestors {test_issuer.url}" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_logout_button_ends_the_local_session_and_goes_to_end_session(rp_app, test_issuer):
    """ "Se déconnecter" (POST + CSRF) ends our session and sends the browser to Compte's
    end_session_endpoint with id_token_hint, post_logout_redirect_uri and state."""
    rp_app.config["WTF_CSRF_ENABLED"] = False
    browser = rp_app.test_client()
    login_id = open_session(rp_app, browser)
    response = browser.post("/logout")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{test_issuer.url}/oauth/logout?")
    assert "id_token_hint=x.y.z" in location
    assert "post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A5999%2Flogged-out" in location
    assert "state=" in location
    assert not session_exists(rp_app, login_id)


def test_logout_button_needs_the_csrf_token(rp_app):
    """A cross-site POST to /logout is refused (CSRF)."""
    browser = rp_app.test_client()
    login_id = open_session(rp_app, browser)
    assert browser.post("/logout").status_code == 400
    assert session_exists(rp_app, login_id)


def test_frontchannel_logout_without_sid_logs_nobody_out(rp_app):
    """A bare GET /frontchannel-logout (e.g. an iframe on any site) ends no session."""
    browser = rp_app.test_client()
    login_id = open_session(rp_app, browser)
    assert browser.get("/frontchannel-logout").status_code == 200
    assert session_exists(rp_app, login_id)
    assert browser.get("/").status_code == 200
