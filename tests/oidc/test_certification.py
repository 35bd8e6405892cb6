"""Negative (and a few positive) checks named after the OpenID Foundation's Basic and
Config OP certification tests, run over real HTTP."""

from __future__ import annotations

import time

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc.conftest import callback_params
from tests.oidc.helpers import authorize_url, exchange, pkce, refresh, userinfo


def _id_claims(issuer: str, id_token: str) -> dict:
    keys = KeySet.import_key_set(requests.get(f"{issuer}/oauth/jwks", timeout=5).json())
    return dict(jwt.decode(id_token, keys).claims)


def _code(browser, person, url: str) -> dict:
    response = browser.authorize(url, person)
    assert response.status_code == 302, response.text[:1000]
    return callback_params(response)


def test_oidcc_server_discovery_is_exact(live_server):
    """oidcc-server / Config OP: the discovery document names every endpoint on our issuer."""
    meta = requests.get(f"{live_server}/.well-known/openid-configuration", timeout=5).json()
    assert meta["issuer"] == live_server
    for name, path in {
        "authorization_endpoint": "/oauth/authorize",
        "token_endpoint": "/oauth/token",
        "userinfo_endpoint": "/oauth/userinfo",
        "jwks_uri": "/oauth/jwks",
        "end_session_endpoint": "/oauth/logout",
        "revocation_endpoint": "/oauth/revoke",
        "introspection_endpoint": "/oauth/introspect",
    }.items():
        assert meta[name] == live_server + path
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert set(meta["subject_types_supported"]) == {"public", "pairwise"}
    assert set(meta["id_token_signing_alg_values_supported"]) == {"RS256", "ES256"}
    assert meta["backchannel_logout_supported"] and meta["backchannel_logout_session_supported"]
    assert meta["frontchannel_logout_supported"] and meta["frontchannel_logout_session_supported"]
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    keys = requests.get(meta["jwks_uri"], timeout=5).json()["keys"]
    assert {k["alg"] for k in keys} >= {"RS256", "ES256"}
    assert all("d" not in k for k in keys), "private key material published"


def _audited(app, event_type: str) -> list:
    from idp.audit.models import AuditEvent
    from idp.core.extensions import db

    with app.app_context():
        return list(
            db.session.scalars(db.select(AuditEvent.client_id).where(AuditEvent.type == event_type))
        )


def test_oidcc_codereuse_refused_and_tokens_revoked(app, live_server, browser, person, rp):
    """oidcc-codereuse: a code works once; a replay is refused and revokes what it gave."""
    verifier, challenge = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge))
    first = exchange(live_server, rp, params["code"], verifier)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert userinfo(live_server, access_token).status_code == 200

    second = exchange(live_server, rp, params["code"], verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert userinfo(live_server, access_token).status_code == 401
    assert _audited(app, "code.replayed") == [rp.client_id]


def test_oidcc_ensure_registered_redirect_uri_never_redirected_to(live_server, browser, person, rp):
    """oidcc-ensure-registered-redirect-uri: an unregistered redirect_uri gets an error
    page from Compte, never a redirect to it."""
    browser.login(person)
    url = authorize_url(live_server, rp, pkce()[1], redirect_uri="https://evil.example/cb")
    response = browser.http.get(url, allow_redirects=False)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "Connexion impossible" in response.text


def test_oidcc_ensure_redirect_uri_in_authorization_request(live_server, browser, person, rp):
    """oidcc-ensure-redirect-uri-in-authorization-request: OpenID requests without
    redirect_uri are refused on a page (no redirect)."""
    browser.login(person)
    url = authorize_url(live_server, rp, pkce()[1], redirect_uri=None)
    response = browser.http.get(url, allow_redirects=False)
    assert response.status_code == 400 and "Location" not in response.headers


def test_token_with_wrong_redirect_uri_is_refused(live_server, browser, person, make_rp):
    """The token request must repeat the exact redirect_uri of the authorization."""
    rp = make_rp(redirect_uris=("http://127.0.0.1:9/a", "http://127.0.0.1:9/b"))
    verifier, challenge = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge))
    response = exchange(
        live_server, rp, params["code"], verifier, redirect_uri="http://127.0.0.1:9/b"
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_oidcc_client_secret_basic_wrong_secret(live_server, browser, person, rp):
    """A wrong client secret gets 401 invalid_client and no token."""
    verifier, challenge = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge))
    rp.client_secret = rp.client_secret + "x"
    response = exchange(live_server, rp, params["code"], verifier)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_pkce_mismatch_is_refused(live_server, browser, person, rp):
    """A code_verifier that does not match the challenge gets invalid_grant."""
    _, challenge = pkce()
    other_verifier, _ = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge))
    response = exchange(live_server, rp, params["code"], other_verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_public_client_requires_pkce(live_server, browser, person, make_rp):
    """A public client (auth method none) without code_challenge is refused at once,
    and with PKCE it gets tokens without any secret."""
    rp = make_rp(auth_method="none")
    browser.login(person)
    refused = browser.http.get(authorize_url(live_server, rp), allow_redirects=False)
    assert refused.status_code == 302
    assert callback_params(refused)["error"] == "invalid_request"

    verifier, challenge = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge))
    assert exchange(live_server, rp, params["code"], verifier).status_code == 200


def test_oidcc_prompt_none_not_logged_in(live_server, browser, rp):
    """oidcc-prompt-none-not-logged-in: login_required to the RP, with its state."""
    url = authorize_url(live_server, rp, pkce()[1], prompt="none", state="s-123")
    response = browser.http.get(url, allow_redirects=False)
    params = callback_params(response)
    assert params["error"] == "login_required" and params["state"] == "s-123"


def test_prompt_none_without_consent_gives_consent_required(live_server, browser, person, rp):
    """prompt=none with a session but no consent yet: consent_required (Authlib pitfall)."""
    browser.login(person)
    url = authorize_url(live_server, rp, pkce()[1], prompt="none", state="s-9")
    params = callback_params(browser.http.get(url, allow_redirects=False))
    assert params["error"] == "consent_required" and params["state"] == "s-9"


def test_oidcc_prompt_none_logged_in(live_server, browser, person, rp):
    """oidcc-prompt-none-logged-in: with a session and consent, a code without any page."""
    _code(browser, person, authorize_url(live_server, rp, pkce()[1]))
    url = authorize_url(live_server, rp, pkce()[1], prompt="none")
    response = browser.http.get(url, allow_redirects=False)
    assert "code" in callback_params(response)


def test_oidcc_prompt_login_forces_a_new_login(live_server, browser, person, rp):
    """oidcc-prompt-login: even with a session, the password is asked again."""
    _code(browser, person, authorize_url(live_server, rp, pkce()[1]))
    assert browser.logins == 1
    first = browser.http.get(
        authorize_url(live_server, rp, pkce()[1], prompt="login"), allow_redirects=False
    )
    assert "/login" in first.headers["Location"] and "reauth=1" in first.headers["Location"]
    params = _code(browser, person, authorize_url(live_server, rp, pkce()[1], prompt="login"))
    assert "code" in params and browser.logins == 2


def test_oidcc_max_age_zero_forces_login(live_server, browser, person, rp):
    """oidcc-max-age-1 (max_age=0): a new login is forced and auth_time is fresh."""
    verifier, challenge = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge))
    first = _id_claims(
        live_server, exchange(live_server, rp, params["code"], verifier).json()["id_token"]
    )
    time.sleep(1.1)
    verifier, challenge = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge, max_age="0"))
    assert browser.logins == 2
    second = _id_claims(
        live_server, exchange(live_server, rp, params["code"], verifier).json()["id_token"]
    )
    assert second["auth_time"] > first["auth_time"]


def test_oidcc_nonce_and_state_echoed(live_server, browser, person, rp):
    """The nonce comes back in the ID token, the state in the redirect."""
    verifier, challenge = pkce()
    url = authorize_url(live_server, rp, challenge, nonce="n-0S6_WzA2Mj", state="af0ifjsldkj")
    params = _code(browser, person, url)
    assert params["state"] == "af0ifjsldkj"
    claims = _id_claims(
        live_server, exchange(live_server, rp, params["code"], verifier).json()["id_token"]
    )
    assert claims["nonce"] == "n-0S6_WzA2Mj"


def test_oidcc_ensure_request_without_nonce_succeeds_without_null_nonce(
    live_server, browser, person, rp
):
    """No nonce in the request: no "nonce" claim at all (never "nonce": null)."""
    verifier, challenge = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge, nonce=None))
    claims = _id_claims(
        live_server, exchange(live_server, rp, params["code"], verifier).json()["id_token"]
    )
    assert "nonce" not in claims


def test_nonce_replay_is_refused(live_server, browser, person, rp):
    """A nonce already used for this client is refused (exists_nonce)."""
    _code(browser, person, authorize_url(live_server, rp, pkce()[1], nonce="once-only"))
    response = browser.http.get(
        authorize_url(live_server, rp, pkce()[1], nonce="once-only"), allow_redirects=False
    )
    assert callback_params(response)["error"] == "invalid_request"


def test_oidcc_refresh_token_reuse_revokes_the_family(app, live_server, browser, person, rp):
    """Presenting a refresh token already rotated, once its successor was used, revokes
    every token of its family."""
    verifier, challenge = pkce()
    url = authorize_url(live_server, rp, challenge, scope="openid email offline_access")
    params = _code(browser, person, url)
    first = exchange(live_server, rp, params["code"], verifier).json()
    second = refresh(live_server, rp, first["refresh_token"])
    assert second.status_code == 200
    second = second.json()
    third = refresh(live_server, rp, second["refresh_token"]).json()
    assert userinfo(live_server, third["access_token"]).status_code == 200

    reuse = refresh(live_server, rp, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert userinfo(live_server, third["access_token"]).status_code == 401
    assert refresh(live_server, rp, third["refresh_token"]).status_code == 400
    assert _audited(app, "token.refresh_reuse_detected") == [rp.client_id]


def test_refresh_reuse_detected_at_once_without_grace(app, live_server, browser, person, rp):
    """With REFRESH_TOKEN_REUSE_GRACE = 0, the first reuse of a rotated token revokes the
    family, even before its successor is used."""
    app.config["REFRESH_TOKEN_REUSE_GRACE"] = 0
    verifier, challenge = pkce()
    url = authorize_url(live_server, rp, challenge, scope="openid email offline_access")
    first = exchange(live_server, rp, _code(browser, person, url)["code"], verifier).json()
    second = refresh(live_server, rp, first["refresh_token"]).json()
    reuse = refresh(live_server, rp, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert userinfo(live_server, second["access_token"]).status_code == 401
    assert _audited(app, "token.refresh_reuse_detected") == [rp.client_id]


def test_no_refresh_token_without_offline_access(live_server, browser, person, rp):
    """offline_access is what gives a refresh token."""
    verifier, challenge = pkce()
    params = _code(browser, person, authorize_url(live_server, rp, challenge, scope="openid"))
    assert "refresh_token" not in exchange(live_server, rp, params["code"], verifier).json()


def test_access_denied_when_the_person_refuses(live_server, browser, person, rp):
    """Refusing on the consent page sends access_denied (with state and RFC 9207's iss)
    to the RP."""
    url = authorize_url(live_server, rp, pkce()[1], state="st-refuse")
    response = browser.authorize(url, person, consent="refuse")
    params = callback_params(response)
    expected = {"error": "access_denied", "state": "st-refuse", "iss": live_server}
    assert params == expected | (
        {"error_description": params["error_description"]} if "error_description" in params else {}
    )


def test_unknown_client_gets_an_error_page(live_server, browser, rp):
    """An unknown client_id is explained on a page, never redirected."""
    rp.client_id = "nobody"
    response = browser.http.get(authorize_url(live_server, rp, pkce()[1]), allow_redirects=False)
    assert response.status_code == 400 and "Location" not in response.headers
