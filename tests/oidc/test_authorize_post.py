"""The authorization endpoint accepts POST (OpenID Connect Core 3.1.2.1): a relying party's
POSTed request behaves exactly like its GET form, while the consent decision (our own
form, posted to the same endpoint) still needs its CSRF token. Over real HTTP."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

from tests.oidc.conftest import Browser, Person, callback_params, csrf_of
from tests.oidc.helpers import authorize_params, exchange, pkce


def _consent_action(html: str) -> str:
    """Where the consent form (the one with the "accept" button) posts its decision."""
    for action, body in re.findall(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', html, re.S):
        if 'name="accept"' in body:
            return unescape(action)
    raise AssertionError("no consent form on the page")


def _log_in_through(browser: Browser, login_url: str, person: Person):
    """Fill the login page the authorization request sent us to; returns its answer."""
    page = browser.get(login_url)
    assert page.status_code == 200
    return browser.post(
        login_url,
        data={
            "identifier": person.email,
            "password": person.password,
            "csrf_token": csrf_of(page.text),
        },
    )


def test_signed_in_person_gets_a_code_for_a_posted_request(live_server, browser, person, make_rp):
    """A consented person's browser POSTing an RP's authorization request (no CSRF token:
    the form is the RP's) is redirected to the RP with a code that the RP can exchange."""
    rp = make_rp(first_party=True)
    browser.login(person)
    verifier, challenge = pkce()
    params = authorize_params(rp, challenge)
    response = browser.post("/oauth/authorize", data=params)
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"].startswith(rp.redirect_uri)
    back = callback_params(response)
    assert back["state"] == params["state"] and "error" not in back
    tokens = exchange(live_server, rp, back["code"], verifier)
    assert tokens.status_code == 200 and "id_token" in tokens.json()


def test_anonymous_posted_request_comes_back_after_login(live_server, browser, person, make_rp):
    """An anonymous POSTed request leads to the login page, whose `next` replays the same
    request (as GET): after login the RP gets its code and its state."""
    rp = make_rp(first_party=True)
    verifier, challenge = pkce()
    params = authorize_params(rp, challenge)
    response = browser.post("/oauth/authorize", data=params)
    assert response.status_code == 302
    login_url = urljoin(live_server, response.headers["Location"])
    assert urlsplit(login_url).path == "/login"
    replay = parse_qs(urlsplit(login_url).query)["next"][0]
    assert {k: v[0] for k, v in parse_qs(urlsplit(replay).query).items()} == params
    logged_in = _log_in_through(browser, login_url, person)
    assert logged_in.status_code == 302
    back = browser.authorize(urljoin(live_server, logged_in.headers["Location"]), person)
    assert back.headers["Location"].startswith(rp.redirect_uri)
    assert callback_params(back)["state"] == params["state"]
    assert exchange(live_server, rp, callback_params(back)["code"], verifier).status_code == 200


def test_posted_max_age_zero_asks_a_fresh_login_once(live_server, browser, person, make_rp):
    """max_age=0 POSTed by a signed-in person's browser asks a new login, then the same
    request (replayed as GET) gives the code instead of asking again (no loop)."""
    rp = make_rp(first_party=True)
    browser.login(person)
    params = authorize_params(rp, pkce()[1], max_age="0")
    response = browser.post("/oauth/authorize", data=params)
    login_url = urljoin(live_server, response.headers["Location"])
    assert urlsplit(login_url).path == "/login"
    logged_in = _log_in_through(browser, login_url, person)
    back = browser.get(urljoin(live_server, logged_in.headers["Location"]))
    assert back.status_code == 302 and back.headers["Location"].startswith(rp.redirect_uri)
    assert "code" in callback_params(back)


def test_posted_request_needing_consent_and_the_csrf_of_the_decision(
    live_server, browser, person, make_rp
):
    """A POSTed request that needs consent shows the consent page; its decision posted
    without the CSRF token is refused (400, no code); with it, the RP gets its code."""
    rp = make_rp()
    browser.login(person)
    params = authorize_params(rp, pkce()[1])
    page = browser.post("/oauth/authorize", data=params)
    assert page.status_code == 200 and 'name="accept"' in page.text
    action = urljoin(live_server, _consent_action(page.text))
    forged = browser.post(action, data={"accept": "1"})
    assert forged.status_code == 400
    assert not forged.headers.get("Location", "").startswith(rp.redirect_uri)
    # A forged decision sent as the RP's own POSTed parameters is refused as well.
    assert browser.post("/oauth/authorize", data={**params, "accept": "1"}).status_code == 400
    decided = browser.post(action, data={"accept": "1", "csrf_token": csrf_of(page.text)})
    assert decided.status_code == 302 and decided.headers["Location"].startswith(rp.redirect_uri)
    assert callback_params(decided)["state"] == params["state"]
    assert "code" in callback_params(decided)


def test_posted_prompt_none_and_errors_go_back_to_the_client(live_server, browser, make_rp):
    """prompt=none POSTed for an anonymous person answers login_required to the RP with the
    state; a POSTed request with a bad PKCE method is an error sent to the RP too."""
    rp = make_rp(first_party=True)
    params = authorize_params(rp, pkce()[1], prompt="none")
    response = browser.post("/oauth/authorize", data=params)
    assert response.status_code == 302
    back = callback_params(response)
    assert back["error"] == "login_required" and back["state"] == params["state"]
    wrong = browser.post("/oauth/authorize", data={**params, "code_challenge_method": "plain"})
    assert wrong.status_code == 302 and wrong.headers["Location"].startswith(rp.redirect_uri)
    assert callback_params(wrong)["error"] == "invalid_request"
    assert callback_params(wrong)["state"] == params["state"]


def test_posted_request_with_form_post_response_mode(live_server, browser, person, make_rp):
    """response_mode=form_post works for a POSTed request: the page posts code and state."""
    rp = make_rp(first_party=True)
    browser.login(person)
    params = authorize_params(rp, pkce()[1], response_mode="form_post")
    page = browser.post("/oauth/authorize", data=params)
    assert page.status_code == 200
    assert f'action="{rp.redirect_uri}"' in page.text
    assert 'name="code"' in page.text and f'value="{params["state"]}"' in page.text
