"""Property-based fuzzing of every protocol endpoint: whatever a relying party (or anyone)
sends, Compte answers without a server error, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import ECKey

from idp.core.extensions import db
from tests.security.helpers import USER_EMAIL, make_account, signed_in, sweep_settings
from tests.security.strategies import (
    any_authorization,
    basic_header,
    bearer_header,
    body_kind,
    body_kwargs,
    fuzz_settings,
    json_bytes,
    json_values,
    jwt_like,
    pairs,
    raw_body,
    text_value,
    uri_like,
)

REDIRECT_URI = "https://rp.example/callback"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
AUTHORIZE_NAMES = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
    "max_age",
    "display",
    "login_hint",
    "id_token_hint",
    "claims",
    "acr_values",
    "ui_locales",
    "claims_locales",
    "request",
    "request_uri",
    "registration",
]
TOKEN_NAMES = [
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "audience",
    "resource",
]
TOKEN_ENDPOINT_NAMES = ["token", "token_type_hint", "client_id", "client_secret"]
LOGOUT_NAMES = [
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
    "logout_hint",
]
GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials", "password", "x"]


@dataclass(repr=False)  # short in hypothesis' reports
class World:
    """What the fuzzer starts from: real clients, a signed-in person, live tokens."""

    client_id: str
    client_secret: str
    public_id: str
    jwt_id: str
    jwt_key: ECKey
    access_token: str
    refresh_token: str
    id_token: str
    initial_token: str
    registration_uri: str
    registration_token: str
    invitations_token: str


@pytest.fixture
def settings(settings):
    return sweep_settings(settings)


def _challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@pytest.fixture
def world(app) -> World:
    from idp.oidc.client_registration_endpoints import issue_initial_access_token
    from idp.oidc.clients import create_client

    key = ECKey.generate_key("P-256", parameters={"alg": "ES256"}, private=True, auto_kid=True)
    with app.app_context():
        rp, secret = create_client(
            "Formadist",
            redirect_uris=[REDIRECT_URI],
            post_logout_redirect_uris=["https://rp.example/bye"],
            grant_types=["authorization_code", "refresh_token", "client_credentials"],
            first_party=True,
        )
        public, _ = create_client("Mobile", redirect_uris=[REDIRECT_URI], auth_method="none")
        signed, _ = create_client(
            "Signed",
            grant_types=["client_credentials"],
            scopes=["invitations"],
            auth_method="private_key_jwt",
            jwks={"keys": [key.as_dict(private=False)]},
        )
        _row, initial = issue_initial_access_token(None, max_uses=None)
        db.session.commit()
        ids = (rp.client_id, public.client_id, signed.client_id)
    browser = signed_in(app, make_account(app, USER_EMAIL))
    verifier = secrets.token_urlsafe(48)
    answer = browser.get(
        "/oauth/authorize",
        query_string={
            "response_type": "code",
            "client_id": ids[0],
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile email offline_access",
            "state": "s",
            "nonce": "n",
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        },
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    tokens = (
        app.test_client()
        .post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            auth=(ids[0], secret),
        )
        .json
    )
    registered = (
        app.test_client()
        .post(
            "/oauth/register",
            json={"client_name": "Registered", "redirect_uris": [REDIRECT_URI]},
            headers={"Authorization": f"Bearer {initial}"},
        )
        .json
    )
    now = int(time.time())
    claims = {"iss": ids[2], "sub": ids[2], "aud": app.config["ISSUER"], "exp": now + 300}
    service = (
        app.test_client()
        .post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "scope": "invitations",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": jws.serialize_compact(
                    {"alg": "ES256", "kid": key.kid}, json_bytes({**claims, "jti": "w"}), key
                ),
            },
        )
        .json
    )
    return World(
        client_id=ids[0],
        client_secret=secret,
        public_id=ids[1],
        jwt_id=ids[2],
        jwt_key=key,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        id_token=tokens["id_token"],
        initial_token=initial,
        registration_uri=urlsplit(registered["registration_client_uri"]).path,
        registration_token=registered["registration_access_token"],
        invitations_token=service["access_token"],
    )


def world_account(app) -> int:
    """The id of the world's person (each example signs in a fresh browser)."""
    from idp.accounts.models import Account

    with app.app_context():
        return db.session.scalar(db.select(Account.id).where(Account.email == USER_EMAIL))


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{what} -> {response.status_code}"


def _signed_assertion(world: World, claims: dict) -> str:
    """An assertion correctly signed by the private_key_jwt client, with junk claims."""
    header = {"alg": "ES256", "kid": world.jwt_key.kid}
    return jws.serialize_compact(header, json_bytes(claims), world.jwt_key)


def assertion_claims(world: World, issuer: str) -> st.SearchStrategy:
    """The claims of a private_key_jwt assertion: mostly the real ones (so that the jti
    reaches the replay table), some replaced by junk of any type, some left out."""

    def real_or_junk(real):
        return st.one_of(st.just(real), st.just(real), json_values, text_value)

    now = int(time.time())
    return st.fixed_dictionaries(
        {},
        optional={
            "iss": real_or_junk(world.jwt_id),
            "sub": real_or_junk(world.jwt_id),
            "aud": real_or_junk(f"{issuer}/oauth/token"),
            "exp": st.one_of(st.just(now + 300), st.integers(0, 2**40), json_values),
            "iat": st.one_of(st.just(now), json_values),
            "jti": st.one_of(text_value, json_values),
        },
    )


@fuzz_settings(240)
@given(
    params=st.data(),
    method=st.sampled_from(["GET", "POST"]),
    person=st.sampled_from([True, True, False]),  # signed in, the request goes deepest
    kind=body_kind,
    raw=raw_body,
    json_body=json_values,
)
def test_authorization_endpoint_never_fails(
    app, world, params, method, person, kind, raw, json_body
):
    """/oauth/authorize by GET or POST, signed in or not, a real request with junk: no 5xx."""
    base = {
        "response_type": "code",
        "client_id": world.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "s",
        "nonce": "n",
        "code_challenge": _challenge("v" * 43),
        "code_challenge_method": "S256",
        "id_token_hint": world.id_token,
    }
    drawn = params.draw(pairs(AUTHORIZE_NAMES, base))
    client = signed_in(app, world_account(app)) if person else app.test_client()
    if method == "GET":
        response = client.get("/oauth/authorize", query_string=drawn)
    else:
        response = client.post("/oauth/authorize", **body_kwargs(drawn, raw, json_body, kind))
    _check(response, f"{method} /oauth/authorize {drawn!r:.300}")


@fuzz_settings(300)
@given(
    data=st.data(),
    grant_type=st.one_of(st.sampled_from(GRANT_TYPES), text_value),
    auth=st.sampled_from(["basic", "post", "assertion", "signed", "public", "junk", "none"]),
    kind=body_kind,
    raw=raw_body,
    json_body=json_values,
)
def test_token_endpoint_never_fails(app, world, data, grant_type, auth, kind, raw, json_body):
    """/oauth/token, every grant type and client authentication (good and junk): no 5xx."""
    base = {
        "grant_type": grant_type,
        "code": "c" * 43,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "v" * 43,
        "refresh_token": world.refresh_token,
        "scope": "openid",
    }
    headers = {}
    if auth == "basic":
        credentials = f"{world.client_id}:{world.client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    elif auth == "post":
        base.update(client_id=world.client_id, client_secret=world.client_secret)
    elif auth == "assertion":
        base.update(client_assertion_type=ASSERTION_TYPE, client_assertion=data.draw(jwt_like))
    elif auth == "signed":
        claims = data.draw(assertion_claims(world, app.config["ISSUER"]))
        assertion = _signed_assertion(world, claims)
        base.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
    elif auth == "public":
        base["client_id"] = world.public_id
    elif auth == "junk":
        headers["Authorization"] = data.draw(any_authorization)
    drawn = data.draw(pairs(TOKEN_NAMES, base))
    response = app.test_client().post(
        "/oauth/token", headers=headers, **body_kwargs(drawn, raw, json_body, kind)
    )
    _check(response, f"POST /oauth/token {auth} {drawn!r:.300}")


@fuzz_settings(180)
@given(
    data=st.data(),
    path=st.sampled_from(["/oauth/revoke", "/oauth/introspect"]),
    good_client=st.booleans(),
    kind=body_kind,
    raw=raw_body,
    json_body=json_values,
)
def test_revocation_and_introspection_never_fail(
    app, world, data, path, good_client, kind, raw, json_body
):
    """/oauth/revoke and /oauth/introspect, real and junk tokens and credentials: no 5xx."""
    token = data.draw(
        st.one_of(st.sampled_from([world.access_token, world.refresh_token]), text_value)
    )
    base = {"token": token, "token_type_hint": "refresh_token"}
    if good_client:
        credentials = f"{world.client_id}:{world.client_secret}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
    else:
        headers = {"Authorization": data.draw(basic_header)}
    drawn = data.draw(pairs(TOKEN_ENDPOINT_NAMES, base))
    response = app.test_client().post(
        path, headers=headers, **body_kwargs(drawn, raw, json_body, kind)
    )
    _check(response, f"POST {path} {drawn!r:.300}")


@fuzz_settings(140)
@given(
    data=st.data(),
    method=st.sampled_from(["GET", "POST"]),
    kind=body_kind,
    raw=raw_body,
    json_body=json_values,
)
def test_userinfo_never_fails(app, world, data, method, kind, raw, json_body):
    """/oauth/userinfo by GET and POST with bearer junk in the header or the form: no 5xx."""
    header = data.draw(
        st.one_of(bearer_header, any_authorization, st.just(f"Bearer {world.access_token}"))
    )
    if method == "GET":
        response = app.test_client().get(
            "/oauth/userinfo",
            headers={"Authorization": header},
            query_string=data.draw(pairs(["access_token"])),
        )
    else:
        drawn = data.draw(pairs(["access_token"], {"access_token": world.access_token}))
        response = app.test_client().post(
            "/oauth/userinfo",
            headers={"Authorization": header},
            **body_kwargs(drawn, raw, json_body, kind),
        )
    _check(response, f"{method} /oauth/userinfo {header!r:.200}")


@fuzz_settings(140)
@given(
    data=st.data(),
    method=st.sampled_from(["GET", "POST"]),
    person=st.booleans(),
    kind=body_kind,
    raw=raw_body,
    json_body=json_values,
)
def test_end_session_endpoint_never_fails(app, world, data, method, person, kind, raw, json_body):
    """/oauth/logout by GET and POST, real or junk hint, client and URI, any person: no 5xx."""
    base = {
        "id_token_hint": world.id_token,
        "client_id": world.client_id,
        "post_logout_redirect_uri": "https://rp.example/bye",
        "state": "s",
    }
    drawn = data.draw(pairs(LOGOUT_NAMES, base))
    client = signed_in(app, world_account(app)) if person else app.test_client()
    if method == "GET":
        response = client.get("/oauth/logout", query_string=drawn)
    else:
        response = client.post("/oauth/logout", **body_kwargs(drawn, raw, json_body, kind))
    _check(response, f"{method} /oauth/logout {drawn!r:.300}")


REGISTRATION_NAMES = [
    "client_name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "scope",
    "contacts",
    "client_uri",
    "logo_uri",
    "jwks",
    "jwks_uri",
    "software_id",
    "software_version",
    "id_token_signed_response_alg",
    "subject_type",
    "backchannel_logout_uri",
    "frontchannel_logout_uri",
]
# Valid metadata (a new name each time, so that requests reach the client rules and the
# database) with a few fields replaced by junk, long addresses or values of other types.
registration_metadata = st.builds(
    lambda name, changes: {"client_name": name, "redirect_uris": [REDIRECT_URI], **changes},
    st.uuids().map(str),
    st.dictionaries(
        st.sampled_from(REGISTRATION_NAMES),
        st.one_of(json_values, text_value, uri_like, st.lists(uri_like, max_size=2)),
        max_size=3,
    ),
)


@fuzz_settings(180)
@given(body=registration_metadata, update=st.booleans())
def test_registration_with_valid_tokens_never_fails(app, world, body, update):
    """Registration and its update with valid tokens and mostly valid metadata: no 5xx."""
    if update:
        path, method, token = world.registration_uri, "PUT", world.registration_token
        body = {**body, "client_id": world.registration_uri.rsplit("/", 1)[1]}
    else:
        path, method, token = "/oauth/register", "POST", world.initial_token
    response = app.test_client().open(
        path,
        method=method,
        data=json_bytes(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    _check(response, f"{method} {path} {body!r:.300}")


@fuzz_settings(120)
@given(
    data=st.data(),
    target=st.sampled_from(["register", "configure-get", "configure-put", "configure-delete"]),
    token=st.sampled_from(["good", "junk", "none"]),
    body=st.one_of(registration_metadata, json_values),
    raw=raw_body,
    as_json=st.booleans(),
)
def test_registration_endpoints_never_fail(app, world, data, target, token, body, raw, as_json):
    """Registration endpoints with JSON of every shape, junk tokens, ids and bodies: no 5xx."""
    good = world.initial_token if target == "register" else world.registration_token
    headers = {}
    if token == "good":
        headers["Authorization"] = f"Bearer {good}"
    elif token == "junk":
        headers["Authorization"] = data.draw(any_authorization)
    if target == "register":
        path, method = "/oauth/register", "POST"
    else:
        junk_id = text_value.map(lambda t: "/oauth/register/" + quote(t, safe=""))
        path = data.draw(st.one_of(st.just(world.registration_uri), junk_id))
        method = target.split("-")[1].upper()
    if as_json:
        kwargs = {"data": json_bytes(body), "content_type": "application/json"}
    else:
        kwargs = {"data": raw, "content_type": "application/x-www-form-urlencoded"}
    response = app.test_client().open(path, method=method, headers=headers, **kwargs)
    _check(response, f"{method} {path[:80]} {body!r:.300}")


@fuzz_settings(120)
@given(
    path=st.sampled_from(
        [
            "/.well-known/openid-configuration",
            "/oauth/jwks",
            "/launcher/api/entries",
            "/launcher/widget.js",
        ]
    ),
    method=st.sampled_from(["GET", "OPTIONS", "HEAD"]),
    query=pairs(["client_id", "callback", "lang", "ui_locales", "format"]),
    authorization=st.one_of(st.none(), any_authorization),
    etag=st.one_of(st.none(), text_value),
)
def test_discovery_jwks_and_launcher_api_never_fail(
    app, world, path, method, query, authorization, etag
):
    """Discovery, JWKS, the launcher API and widget with junk queries and headers: no 5xx."""
    from tests.security.strategies import header_text

    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    if etag is not None:
        headers["If-None-Match"] = header_text(etag)
    response = app.test_client().open(path, method=method, query_string=query, headers=headers)
    _check(response, f"{method} {path} {query!r:.200}")


invitation_body = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(json_values, text_value)
        for name in (
            "email",
            "given_name",
            "family_name",
            "civility",
            "client_id",
            "expires_in_days",
        )
    },
)


@fuzz_settings(120)
@given(
    data=st.data(),
    method=st.sampled_from(["POST", "GET", "DELETE"]),
    good_token=st.booleans(),
    body=st.one_of(invitation_body, json_values),
    raw=raw_body,
    as_json=st.booleans(),
)
def test_invitations_api_never_fails(app, world, data, method, good_token, body, raw, as_json):
    """The invitations API with junk JSON, ids and bearer tokens (and a real one): no 5xx."""
    if good_token:
        headers = {"Authorization": f"Bearer {world.invitations_token}"}
    else:
        headers = {"Authorization": data.draw(any_authorization)}
    path = "/api/invitations"
    if method != "POST":
        path += data.draw(st.sampled_from(["", "/1", "/0", "/99999999999999999999", "/x"]))
    if as_json:
        kwargs = {"data": json_bytes(body), "content_type": "application/json"}
    else:
        kwargs = {"data": raw, "content_type": "application/x-www-form-urlencoded"}
    response = app.test_client().open(path, method=method, headers=headers, **kwargs)
    _check(response, f"{method} {path} {body!r:.300}")


raw_text = st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@fuzz_settings(80)
@given(
    path=st.sampled_from(["/oauth/authorize", "/oauth/token", "/oauth/userinfo", "/login"]),
    query=raw_text,
    body=st.binary(max_size=300),
    authorization=raw_text,
    content_type=st.sampled_from(
        [b"application/x-www-form-urlencoded", b"application/json", b"multipart/form-data"]
    ),
)
def test_raw_bytes_over_real_http_never_fail(
    live_server, path, query, body, authorization, content_type
):
    """Over real HTTP, raw bytes no client library sends (bad UTF-8, binary headers): no 5xx."""
    port = int(live_server.rsplit(":", 1)[1])
    request = (
        b"POST "
        + path.encode()
        + b"?"
        + query.replace(b" ", b"%20").replace(b"#", b"%23")
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + b"Authorization: "
        + authorization
        + b"\r\n"
        + b"Content-Type: "
        + content_type
        + b"\r\n"
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        status_line = connection.makefile("rb").readline()
    status = int(status_line.split()[1])
    assert status < 500, f"{request[:300]!r} -> {status_line!r}"


def test_the_world_is_real(app, world):
    """The fuzzer starts from working credentials (else it would only test refusals)."""
    info = app.test_client().get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {world.access_token}"}
    )
    assert info.status_code == 200
    assert json.loads(info.get_data())["sub"]
    listing = app.test_client().get(
        "/api/invitations", headers={"Authorization": f"Bearer {world.invitations_token}"}
    )
    assert listing.status_code == 200
    registered = app.test_client().get(
        world.registration_uri, headers={"Authorization": f"Bearer {world.registration_token}"}
    )
    assert registered.status_code == 200
