"""CSRF: every state-changing form route refuses a request without a valid csrf_token."""

from __future__ import annotations

import re

import pytest

from idp.core.extensions import csrf
from tests.security.helpers import (
    csrf_for,
    seed_site,
    signed_in,
)

# The only routes that may accept a POST (PUT, DELETE) without a CSRF token: OAuth 2.0 /
# OpenID Connect protocol endpoints (called by relying parties, authenticated by client
# credentials or tokens) and APIs authenticated by bearer tokens (no cookie involved).
ALLOWED_EXEMPT_VIEWS = {
    "idp.oidc.views.token",  # RFC 6749 token endpoint (client authentication)
    "idp.oidc.views.revoke",  # RFC 7009 (client authentication)
    "idp.oidc.views.introspect",  # RFC 7662 (client authentication)
    "idp.oidc.views.userinfo",  # OIDC Core 5.3 (bearer access token)
    "idp.oidc.session_views.end_session",  # RP-initiated logout (asks before logging out)
    # OIDC Core 3.1.2.1: RPs may POST authorization requests; the consent decision posted
    # to the same endpoint checks its CSRF token itself (test below).
    "idp.oidc.views.authorize",
}
ALLOWED_EXEMPT_BLUEPRINTS = {
    "client_registration",  # RFC 7591/7592 dynamic registration (initial / registration token)
    "invitations_api",  # /api/invitations (bearer access token with the invitations scope)
}
ALLOWED_EXEMPT_ENDPOINTS = {
    "oidc.authorize",
    "oidc.token",
    "oidc.revoke",
    "oidc.introspect",
    "oidc.userinfo",
    "oidc_session.end_session",
    "client_registration.register",
    "client_registration.configure",
    "invitations_api.create",
    "invitations_api.revoke",
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def settings(settings):
    """CSRF protection as in production (the default); no rate limit in the way."""
    return {**settings, "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False}


@pytest.fixture
def seeded(app) -> dict:
    return seed_site(app)


def _path(rule, seeded: dict) -> str:
    values = {
        "client_id": seeded["client_id"],
        "account_id": str(seeded["victim"]),
        "invitation_id": str(seeded["invitation"]),
        "token_id": str(seeded["token_id"]),
        "step": "2",
        "token": "x",
        "challenge_id": "x",
        "message_id": "x",
        "outbox_id": "1",
        "session_id": "1",
        "passkey_id": "1",
        "filename": "compte.css",
        "name": "franceconnect",
        "link_id": "1",
        "organization_id": "1",
    }
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", lambda m: values[m.group(1)], rule.rule)


def _unsafe_rules(app):
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods & UNSAFE)
        if rule.endpoint not in ALLOWED_EXEMPT_ENDPOINTS
    ]


def test_only_protocol_endpoints_and_bearer_apis_are_csrf_exempt(app):
    """The CSRF exemptions are exactly the OAuth/OIDC protocol endpoints and bearer APIs."""
    assert csrf._exempt_views == ALLOWED_EXEMPT_VIEWS
    assert {bp.name for bp in csrf._exempt_blueprints} == ALLOWED_EXEMPT_BLUEPRINTS
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    unsafe_endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if r.methods & UNSAFE
    } - ALLOWED_EXEMPT_ENDPOINTS
    assert {"accounts.login", "accounts.logout", "accounts.register", "admin.client_new"} <= (
        unsafe_endpoints
    )


@pytest.mark.parametrize("role", ["anonymous", "user", "admin"])
def test_every_form_route_refuses_a_post_without_a_valid_csrf_token(app, seeded, role):
    """Every POST/PUT/DELETE route outside the allowed exceptions answers 400 "page expirée"
    without a token and with a forged one, for anonymous, ordinary and admin sessions."""
    refused = []
    for rule, method in _unsafe_rules(app):
        for token in (None, "forged-token", "IjEyMyI.ZmFrZQ.c2lnbmF0dXJl"):
            client = (
                app.test_client()
                if role == "anonymous"
                else signed_in(app, seeded["admin" if role == "admin" else "user"])
            )
            data = {"email": "x@example.org", "password": "Sweep-Compte-2026!", "confirm": "y"}
            if token:
                data["csrf_token"] = token
            response = client.open(_path(rule, seeded), method=method, data=data)
            html = response.get_data(as_text=True)
            if response.status_code != 400 or "La page a expiré" not in html:
                refused.append(f"{method} {rule.rule} token={token}: {response.status_code}")
    assert not refused, "accepted without a valid CSRF token:\n" + "\n".join(refused)


def test_a_token_from_another_session_is_refused(app, seeded):
    """A CSRF token is bound to its session: one taken from another browser is refused."""
    attacker = signed_in(app, seeded["victim"])
    stolen = csrf_for(attacker)
    victim = signed_in(app, seeded["user"])
    response = victim.post("/account/emails/remove", data={"csrf_token": stolen})
    assert response.status_code == 400 and "La page a expiré" in response.get_data(as_text=True)
    response = victim.post("/logout", data={"csrf_token": stolen})
    assert response.status_code == 400
    assert victim.get("/account").status_code == 200  # still logged in


def test_csrf_free_post_to_the_end_session_endpoint_does_not_log_out(app, seeded):
    """/oauth/logout is CSRF-exempt (RP-initiated logout) but a bare POST from another site
    only shows a confirmation: the session survives."""
    client = signed_in(app, seeded["user"])
    response = client.post("/oauth/logout", data={})
    assert response.status_code < 500
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("decision", ["accept", "refuse"])
def test_a_consent_decision_needs_its_csrf_token(app, seeded, decision):
    """/oauth/authorize takes an RP's POST without a token, but a POST that carries the
    consent form's decision is refused (400 "page expirée") without a valid token."""
    client = signed_in(app, seeded["user"])
    query = {
        "response_type": "code",
        "client_id": seeded["client_id"],
        "redirect_uri": "https://rp.example/cb",
        "scope": "openid",
        "state": "s",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }
    for token in (None, "forged-token"):
        data = {decision: "1", **({"csrf_token": token} if token else {})}
        response = client.post("/oauth/authorize", query_string=query, data=data)
        assert response.status_code == 400
        assert "La page a expiré" in response.get_data(as_text=True)


def test_captcha_refresh_needs_the_csrf_header(app):
    """The JSON "new characters" route refuses a request without X-CSRFToken."""
    client = app.test_client()
    assert client.post("/captcha/new", json={}).status_code == 400
    token = csrf_for(client)
    assert client.post("/captcha/new", json={}, headers={"X-CSRFToken": token}).status_code == 200
