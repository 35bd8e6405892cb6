"""The whole journey of a relying party, over real HTTP, with Authlib's OAuth client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.rp_server import LogoutRecorder
from tests.support.servers import free_port, serve_wsgi

SCOPE = "openid profile email phone address offline_access"


def validate_id_token(id_token: str, issuer: str, client_id: str, nonce: str | None) -> dict:
    """Check an ID token as a strict RP does: signature against JWKS, iss, aud, exp."""
    meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
    )
    registry.validate(token.claims)
    if nonce is None:
        assert "nonce" not in token.claims
    else:
        assert token.claims["nonce"] == nonce
    return dict(token.claims) | {"_header": token.header}


def test_full_journey_with_authlib_client(app, live_server, browser, person, make_rp):
    """Discovery → PKCE authorization → login → consent → tokens → ID token checked
    against JWKS → userinfo → refresh rotation → revocation → introspection →
    RP-initiated logout with a back-channel logout token received by the RP."""
    recorder = LogoutRecorder()
    rp_port = free_port()
    with serve_wsgi(recorder, rp_port) as rp_url:
        rp = make_rp(
            post_logout_redirect_uris=[f"{rp_url}/bye"],
            backchannel_logout_uri=f"{rp_url}/backchannel",
        )
        meta = requests.get(f"{live_server}/.well-known/openid-configuration", timeout=5).json()
        assert meta["issuer"] == live_server

        oauth = OAuth2Session(
            rp.client_id,
            rp.client_secret,
            scope=SCOPE,
            redirect_uri=REDIRECT_URI,
            code_challenge_method="S256",
        )
        verifier = generate_token(48)
        nonce = generate_token(16)
        url, state = oauth.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        callback = browser.authorize(url, person)
        assert callback.status_code == 302
        assert callback.headers["Location"].startswith(REDIRECT_URI)
        assert browser.logins == 1 and browser.consents == 1
        assert "Votre adresse électronique" in browser.last_page

        token = oauth.fetch_token(
            meta["token_endpoint"],
            authorization_response=callback.headers["Location"],
            code_verifier=verifier,
        )
        assert token["token_type"].lower() == "bearer"
        assert token["refresh_token"] and token["expires_in"] > 0

        claims = validate_id_token(token["id_token"], live_server, rp.client_id, nonce)
        assert claims["sub"] == person.sub
        assert claims["_header"]["alg"] == "RS256" and claims["_header"]["kid"]
        for name in ("auth_time", "acr", "amr", "sid", "at_hash"):
            assert name in claims, name
        assert claims["at_hash"] == create_half_hash(token["access_token"], "RS256").decode()

        info = oauth.get(meta["userinfo_endpoint"]).json()
        assert info["sub"] == person.sub
        assert info["email"] == person.email and info["email_verified"] is True
        assert info["given_name"] == "Ivan" and info["family_name"] == "Petit"
        assert info["gender"] == "male" and info["birthdate"] == "1980-05-17"
        assert info["phone_number"] == "0612345678" and info["phone_number_verified"] is False
        assert info["address"]["formatted"].startswith("1 rue de la Paix")
        assert "nir" not in info
        posted = requests.post(
            meta["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=5,
        )
        assert posted.status_code == 200 and posted.json()["sub"] == person.sub

        first_refresh = token["refresh_token"]
        refreshed = oauth.refresh_token(meta["token_endpoint"], refresh_token=first_refresh)
        assert refreshed["refresh_token"] != first_refresh
        assert refreshed["access_token"] != token["access_token"]

        introspected = oauth.introspect_token(
            meta["introspection_endpoint"], token=refreshed["access_token"]
        ).json()
        assert introspected["active"] is True
        assert introspected["client_id"] == rp.client_id and introspected["sub"] == person.sub

        revoked = oauth.revoke_token(
            meta["revocation_endpoint"],
            token=refreshed["access_token"],
            token_type_hint="access_token",
        )
        assert revoked.status_code == 200
        after = oauth.introspect_token(
            meta["introspection_endpoint"], token=refreshed["access_token"]
        ).json()
        assert after == {"active": False}
        denied = requests.get(
            meta["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {refreshed['access_token']}"},
            timeout=5,
        )
        assert denied.status_code == 401

        logout = browser.http.get(
            meta["end_session_endpoint"],
            params={
                "id_token_hint": token["id_token"],
                "post_logout_redirect_uri": f"{rp_url}/bye",
                "state": "bye-state",
            },
            allow_redirects=False,
        )
        assert logout.status_code == 302
        target = urlsplit(logout.headers["Location"])
        assert f"{target.scheme}://{target.netloc}{target.path}" == f"{rp_url}/bye"
        assert parse_qs(target.query)["state"] == ["bye-state"]

        assert len(recorder.tokens) == 1
        keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
        logout_token = jwt.decode(recorder.tokens[0], keys)
        assert logout_token.header["typ"] == "logout+jwt"
        assert logout_token.claims["aud"] == rp.client_id
        assert logout_token.claims["sid"] == claims["sid"]
        assert logout_token.claims["sub"] == person.sub
        assert "http://schemas.openid.net/event/backchannel-logout" in logout_token.claims["events"]
        assert "nonce" not in logout_token.claims

    # The Compte session is over too.
    profile = browser.get("/account")
    assert profile.status_code == 302 and "/login" in profile.headers["Location"]
