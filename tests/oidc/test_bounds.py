"""Malformed protocol parameters (NUL, control characters, over-long values) get the OAuth
error a relying party expects, never a server error, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jws, jwt

from tests.oidc.helpers import ASSERTION_TYPE, pkce, signed_client
from tests.security.helpers import USER_EMAIL, make_account, signed_in


def _basic(user: bytes, password: bytes = b"secret") -> dict:
    return {"Authorization": "Basic " + base64.b64encode(user + b":" + password).decode()}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned_assertion(claims: dict) -> str:
    """A JWT-looking assertion (bad signature): the claims are read before it is checked."""
    header = _b64(json.dumps({"alg": "ES256", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(b'sig')}"


def _query(response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize("client_id", [b"a\x00b", b"x" * 65, b"tab\there"])
def test_malformed_basic_client_id_is_invalid_client(app, rp, path, client_id):
    """A Basic client id with a NUL, a control character or over 64 characters is answered
    401 invalid_client with a WWW-Authenticate challenge (RFC 6749 5.2)."""
    response = app.test_client().post(
        path,
        data={"grant_type": "client_credentials", "token": "x"},
        headers=_basic(client_id),
    )
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].lower().startswith("basic")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "a\x00b", "iss": "a\x00b"},
        {"sub": "x" * 300, "iss": "x" * 300},
        {"sub": ["a"], "iss": "a"},
        {"sub": "a\udc80", "iss": "a\udc80"},
    ],
)
def test_malformed_client_assertion_claims_are_invalid_client(app, claims):
    """A client_assertion whose sub/iss hold a NUL, a lone surrogate, a list or 300
    characters is refused invalid_client before any database lookup."""
    now = int(time.time())
    assertion = _unsigned_assertion({**claims, "aud": "x", "exp": now + 60, "jti": "j"})
    response = app.test_client().post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )
    assert response.status_code in (400, 401)
    assert response.json["error"] == "invalid_client"


@pytest.mark.parametrize("jti", ["a\x00b", "j" * 300, "a\udc80"])
def test_signed_client_assertion_with_a_malformed_jti_is_invalid_client(app, make_rp, jti):
    """A correctly signed private_key_jwt assertion whose jti holds a NUL, a lone surrogate
    or 300 characters is refused invalid_client (the jti never reaches the replay table)."""
    rp, key = signed_client(make_rp)
    now = int(time.time())
    claims = {
        "iss": rp.client_id,
        "sub": rp.client_id,
        "aud": app.config["ISSUER"] + "/oauth/token",
        "exp": now + 60,
        "iat": now,
        "jti": jti,
    }
    header = {"alg": "ES256", "kid": key.kid}
    # json.dumps escapes a lone surrogate (\udc80), as a hostile client would send it.
    signed = jws.serialize_compact(header, json.dumps(claims).encode(), key)
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
    }
    response = app.test_client().post("/oauth/token", data=data)
    assert response.status_code in (400, 401)
    assert response.json["error"] == "invalid_client"
    # The client itself still authenticates with a proper assertion.
    claims["jti"] = str(uuid.uuid4())
    data["client_assertion"] = jwt.encode(header, claims, key)
    assert app.test_client().post("/oauth/token", data=data).status_code == 200


def test_over_long_nonce_is_an_invalid_request_sent_back_to_the_client(app, make_rp):
    """A nonce over 255 characters, with a valid client and redirect_uri, is an
    invalid_request redirected to the relying party with its state (and iss)."""
    rp = make_rp(first_party=True)
    client = signed_in(app, make_account(app, USER_EMAIL))
    response = client.get(
        "/oauth/authorize",
        query_string={
            "response_type": "code",
            "client_id": rp.client_id,
            "redirect_uri": rp.redirect_uri,
            "scope": "openid",
            "state": "s-42",
            "nonce": "n" * 256,
            "code_challenge": pkce()[1],
            "code_challenge_method": "S256",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(rp.redirect_uri)
    params = _query(response)
    assert params["error"] == "invalid_request"
    assert params["state"] == "s-42"
    assert "code" not in params


def _authorize_params(rp, **extra) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uri,
        "scope": "openid",
        "state": "s-42",
        "code_challenge": pkce()[1],
        "code_challenge_method": "S256",
        **extra,
    }


@pytest.mark.parametrize(
    "extra",
    [
        {"code_challenge": "c" * 128 + "\n"},
        {"login_hint": "agent\x01@example.org"},
        {"claims": '{"userinfo": {"email": {"value": "a\\u0000b"}}}'},
        {"claims": "[1, 2]"},
        {"prompt": "login " * 20},
        {"nonce": "a\x00b"},
    ],
)
def test_authorization_parameter_out_of_bounds_goes_back_to_the_client(app, make_rp, extra):
    """A PKCE challenge with a final line break (129 characters), a control character in
    login_hint, a claims parameter that is not a clean JSON object, an over-long prompt, a
    NUL in the nonce: invalid_request sent to the RP with its state, signed in or not."""
    rp = make_rp(first_party=True)
    for client in (app.test_client(), signed_in(app, make_account(app, USER_EMAIL))):
        response = client.get("/oauth/authorize", query_string=_authorize_params(rp, **extra))
        assert response.status_code == 302
        assert response.headers["Location"].startswith(rp.redirect_uri)
        assert _query(response)["error"] == "invalid_request"
        assert _query(response)["state"] == "s-42"


@pytest.mark.parametrize(
    "extra",
    [
        {"client_id": "x" * 65},
        {"client_id": "a\x00b"},
        {"redirect_uri": "http://127.0.0.1:9/callback" + "x" * 500},
        {"state": "s" * 501, "nonce": "n" * 256},
        {"state": "a\x00b", "nonce": "n" * 256},
        {"redirect_uri": "https://elsewhere.example/cb", "nonce": "n" * 256},
    ],
)
def test_authorization_error_not_sent_to_an_unproven_redirect_uri(app, make_rp, extra):
    """When the client_id, the redirect_uri or the state is itself out of bounds, or the
    redirect_uri is not the client's, the person sees Compte's error page (400) and is
    never sent anywhere."""
    rp = make_rp(first_party=True)
    response = app.test_client().get(
        "/oauth/authorize", query_string=_authorize_params(rp, **extra)
    )
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "text/html" in response.content_type


def test_posted_authorization_request_out_of_bounds(app, make_rp):
    """The same bounds hold for a POSTed authorization request."""
    rp = make_rp(first_party=True)
    response = app.test_client().post(
        "/oauth/authorize", data=_authorize_params(rp, nonce="n" * 256)
    )
    assert response.status_code == 302
    assert _query(response)["error"] == "invalid_request"


@pytest.mark.parametrize(
    "data",
    [
        {"grant_type": "authorization_code", "code": "a\x00b"},
        {"grant_type": "authorization_code", "code": "x", "code_verifier": "v" * 43 + "\n"},
        {"grant_type": "refresh_token", "refresh_token": "r" * 600},
        {"grant_type": "client_credentials", "scope": "s\x07"},
        {"grant_type": "x" * 200},
    ],
)
def test_token_request_out_of_bounds_is_invalid_request(app, rp, data):
    """At the token endpoint a parameter out of bounds (NUL in the code, a PKCE verifier
    with a line break, an over-long refresh token, a control character) is answered 400
    invalid_request in JSON."""
    response = app.test_client().post(
        "/oauth/token", data=data, headers=_basic(rp.client_id.encode(), rp.client_secret.encode())
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_request"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize(
    "data, error",
    [
        ({"token": "t\x00"}, "invalid_request"),
        ({"token": "t" * 5000}, "invalid_request"),
        ({"token": "t", "token_type_hint": "h" * 40}, "invalid_request"),
        ({"token": "t", "client_id": "a\x00b", "client_secret": "s"}, "invalid_client"),
    ],
)
def test_revocation_and_introspection_out_of_bounds(app, rp, path, data, error):
    """Revocation and introspection refuse a token or hint out of bounds (invalid_request)
    and client credentials out of bounds in the form (invalid_client)."""
    headers = (
        {} if "client_id" in data else _basic(rp.client_id.encode(), rp.client_secret.encode())
    )
    response = app.test_client().post(path, data=data, headers=headers)
    assert response.status_code in (400, 401)
    assert response.json["error"] == error


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_userinfo_with_a_malformed_access_token_is_invalid_token(app, method):
    """Userinfo answers 401 invalid_token with a Bearer challenge for an over-long or
    control-character access token, in the header or in the form."""
    client = app.test_client()
    response = client.open(
        "/oauth/userinfo", method=method, headers={"Authorization": "Bearer " + "t" * 5000}
    )
    assert response.status_code == 401 and response.json["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.post("/oauth/userinfo", data={"access_token": "a\x01b"})
    assert response.status_code == 401 and response.json["error"] == "invalid_token"


@pytest.mark.parametrize(
    "body",
    [
        {"client_name": "a\udc80", "redirect_uris": ["https://rp.example/cb"]},
        {"client_name": "ok", "redirect_uris": ["https://rp.example/cb\u0000"]},
        {"client_name": "ok", "contacts": [{"a\ud800": 1}]},
    ],
)
def test_registration_body_with_nul_or_surrogates_is_invalid_client_metadata(app, body):
    """Dynamic registration refuses a JSON body holding a NUL or a lone surrogate (escaped
    as JSON allows) with 400 invalid_client_metadata, before any lookup."""
    response = app.test_client().post(
        "/oauth/register",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": "Bearer anything"},
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_client_metadata"


def test_logout_request_out_of_bounds_shows_the_error_page(app, make_rp):
    """RP-initiated logout with an over-long post_logout_redirect_uri or state shows the
    error page (400) and redirects nowhere."""
    rp = make_rp(first_party=True, post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    for params in (
        {"client_id": rp.client_id, "post_logout_redirect_uri": "http://127.0.0.1:9/" + "x" * 600},
        {"client_id": rp.client_id, "state": "s\x00"},
    ):
        response = app.test_client().get("/oauth/logout", query_string=params)
        assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize(
    "header", ["Basic ", "Basic \xa0", "  Basic " + "\u00ff" * 8, "Bearer ", "x\t ", "  "]
)
def test_empty_or_garbled_basic_credentials_are_invalid_client(app, path, header):
    """Found by the fuzzer: "Basic " (or any single word and a space) made Authlib fail to
    unpack the header (a 500); it is a failed client authentication, 401 invalid_client."""
    response = app.test_client().post(
        path,
        data={"grant_type": "client_credentials", "token": "x"},
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].lower().startswith("basic")


@pytest.fixture
def initial_token(app) -> str:
    from idp.core.extensions import db
    from idp.oidc.client_registration_endpoints import issue_initial_access_token

    with app.app_context():
        _row, plain = issue_initial_access_token(None, max_uses=None)
        db.session.commit()
    return plain


@pytest.mark.parametrize(
    "metadata",
    [
        {"software_version": "v" * 51},
        {"software_id": "s" * 101},
        {"client_uri": "https://rp.example/" + "x" * 500},
        {"logo_uri": "https://rp.example/" + "x" * 500},
        {"backchannel_logout_uri": "https://rp.example/" + "x" * 500},
        {"frontchannel_logout_uri": "https://rp.example/" + "x" * 500},
        {"jwks_uri": "https://rp.example/" + "x" * 500},
        {"redirect_uris": ["https://rp.example/" + "x" * 500]},
        {"jwks": [1], "token_endpoint_auth_method": "private_key_jwt"},
        {"jwks": "keys", "token_endpoint_auth_method": "private_key_jwt"},
        {"jwks": {}},
        {"jwks": {"keys": None}},
    ],
)
def test_registration_metadata_too_long_or_mistyped_is_refused(app, initial_token, metadata):
    """Found by the protocol fuzzer: registered metadata longer than its column (on
    PostgreSQL) or a jwks that is not an object answered 500; RFC 7591 errors now."""
    body = {"client_name": "Longue", "redirect_uris": ["https://rp.example/cb"], **metadata}
    response = app.test_client().post(
        "/oauth/register", json=body, headers={"Authorization": f"Bearer {initial_token}"}
    )
    assert response.status_code == 400
    assert response.json["error"] in ("invalid_client_metadata", "invalid_redirect_uri")


def test_registration_update_with_an_over_long_name_is_refused(app, initial_token):
    """Found by the protocol fuzzer: a client renamed through RFC 7592 with 101 characters
    answered 500 on PostgreSQL (only creation checked the length)."""
    client = app.test_client()
    created = client.post(
        "/oauth/register",
        json={"client_name": "Court", "redirect_uris": ["https://rp.example/cb"]},
        headers={"Authorization": f"Bearer {initial_token}"},
    ).json
    path = urlsplit(created["registration_client_uri"]).path
    response = client.put(
        path,
        json={
            "client_id": created["client_id"],
            "client_name": "n" * 101,
            "redirect_uris": ["https://rp.example/cb"],
        },
        headers={"Authorization": f"Bearer {created['registration_access_token']}"},
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_client_metadata"


@pytest.mark.parametrize(
    "metadata",
    [
        {"scope": "openid \x08"},
        {"scope": "openid é"},
        {"backchannel_logout_uri": "\x1b"},
        {"post_logout_redirect_uris": ["http://exemple.fr/\x7f"]},
        {"jwks": None},
    ],
)
def test_registration_errors_with_control_characters_in_the_metadata(app, initial_token, metadata):
    """Found by the protocol fuzzer: an error description quoting a control character or
    an accent from the metadata (or a null jwks) made Authlib raise (500); the client
    gets invalid_client_metadata with a printable ASCII description."""
    body = {"client_name": "Controle", "redirect_uris": ["https://rp.example/cb"], **metadata}
    response = app.test_client().post(
        "/oauth/register", json=body, headers={"Authorization": f"Bearer {initial_token}"}
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_client_metadata"
    assert all(" " <= c <= "~" for c in response.json["error_description"])


def test_unreachable_client_keys_are_invalid_client(app, make_rp):
    """A private_key_jwt client whose jwks_uri does not answer fails its authentication
    (invalid_client), instead of the token endpoint failing with a 500."""
    from tests.support.servers import free_port

    rp, key = signed_client(make_rp, "Lointain", jwks_uri=f"http://127.0.0.1:{free_port()}/jwks")
    now = int(time.time())
    claims = {
        "iss": rp.client_id,
        "sub": rp.client_id,
        "aud": app.config["ISSUER"],
        "exp": now + 60,
    }
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": jwt.encode(
            {"alg": "ES256", "kid": key.kid}, {**claims, "jti": "j"}, key
        ),
    }
    response = app.test_client().post("/oauth/token", data=data)
    assert response.status_code in (400, 401)
    assert response.json["error"] == "invalid_client"
