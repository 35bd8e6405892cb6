"""Options of the provider: keys, pairwise subjects, ES256, JWT access tokens,
client_credentials, private_key_jwt, form_post, ui_locales, consent memory."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

import requests
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from flask import Blueprint, jsonify
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.core.extensions import db
from tests.oidc.conftest import Browser, callback_params, csrf_of
from tests.oidc.helpers import (
    ASSERTION_TYPE,
    authorize_url,
    exchange,
    pkce,
    signed_client,
    userinfo,
)


def _jwks(issuer: str) -> KeySet:
    return KeySet.import_key_set(requests.get(f"{issuer}/oauth/jwks", timeout=5).json())


def _tokens(live_server, browser, person, rp, **params) -> dict:
    verifier, challenge = pkce()
    response = browser.authorize(authorize_url(live_server, rp, challenge, **params), person)
    code = callback_params(response)["code"]
    result = exchange(live_server, rp, code, verifier)
    assert result.status_code == 200, result.text
    return result.json()


def test_key_rotation_keeps_the_old_key_published(app, live_server, browser, person, rp):
    """After `rotate_keys`, new tokens use a new kid and the old key stays in JWKS so that
    tokens it signed still validate."""
    from idp.oidc.keys import rotate_keys

    before = _tokens(live_server, browser, person, rp)
    old_kid = jwt.decode(before["id_token"], _jwks(live_server)).header["kid"]
    with app.app_context():
        rotate_keys(immediately=True)
    after = _tokens(live_server, browser, person, rp)
    jwks = _jwks(live_server)
    new_kid = jwt.decode(after["id_token"], jwks).header["kid"]
    assert new_kid != old_kid
    assert jwt.decode(before["id_token"], jwks).claims["sub"] == person.sub
    kids = {k["kid"] for k in requests.get(f"{live_server}/oauth/jwks", timeout=5).json()["keys"]}
    assert {old_kid, new_kid} <= kids


def test_keys_rotate_and_list_commands(app):
    """`compte keys rotate` publishes a new key per algorithm that signs only after the
    activation delay, which `compte keys list` shows; `--now` signs at once."""
    from click.testing import CliRunner

    from idp.cli import main
    from idp.core.cli import AppContext
    from idp.oidc.keys import keyring

    ctx = AppContext()
    ctx._app = app
    with app.app_context():
        before = {alg: k.kid for alg, k in keyring().signing.items()}
    result = CliRunner().invoke(main, ["keys", "rotate"], obj=ctx)
    assert result.exit_code == 0, result.output
    assert result.output.count("signs from") == 2
    with app.app_context():
        ring = keyring()
        assert {alg: k.kid for alg, k in ring.signing.items()} == before
        assert len(ring.public.keys) == 4
    listing = CliRunner().invoke(main, ["keys", "list"], obj=ctx).output
    assert "Activation delay of a rotation: 360 s" in listing
    assert listing.count("published, signs from") == 2 and listing.count("signing until") == 2

    result = CliRunner().invoke(main, ["keys", "rotate", "--now"], obj=ctx)
    assert result.exit_code == 0, result.output
    with app.app_context():
        after = {alg: k.kid for alg, k in keyring().signing.items()}
    assert after.keys() == before.keys() and not set(after.values()) & set(before.values())


def test_pairwise_subject_differs_per_sector(live_server, browser, person, make_rp):
    """Pairwise clients of different hosts see different, stable subjects (not the public one)."""
    a = make_rp("A", redirect_uris=("http://localhost:9/cb",), subject_type="pairwise")
    b = make_rp("B", redirect_uris=("http://127.0.0.1:9/cb",), subject_type="pairwise")
    sub_a = jwt.decode(_tokens(live_server, browser, person, a)["id_token"], _jwks(live_server))
    sub_b = jwt.decode(_tokens(live_server, browser, person, b)["id_token"], _jwks(live_server))
    again = _tokens(live_server, browser, person, a)
    assert sub_a.claims["sub"] != person.sub and sub_b.claims["sub"] != person.sub
    assert sub_a.claims["sub"] != sub_b.claims["sub"]
    assert userinfo(live_server, again["access_token"]).json()["sub"] == sub_a.claims["sub"]


def test_es256_client_gets_es256_id_tokens(live_server, browser, person, make_rp):
    """id_token_signed_response_alg ES256 is honoured and verifiable with JWKS."""
    rp = make_rp(id_token_alg="ES256")
    token = jwt.decode(_tokens(live_server, browser, person, rp)["id_token"], _jwks(live_server))
    assert token.header["alg"] == "ES256"


def test_jwt_access_tokens(live_server, browser, person, make_rp):
    """access_token_format=jwt gives RFC 9068 tokens (typ at+jwt) still usable and revocable."""
    rp = make_rp(access_token_format="jwt")
    tokens = _tokens(live_server, browser, person, rp)
    token = jwt.decode(tokens["access_token"], _jwks(live_server))
    assert token.header["typ"] == "at+jwt"
    assert token.claims["iss"] == live_server and token.claims["client_id"] == rp.client_id
    assert token.claims["sub"] == person.sub
    assert userinfo(live_server, tokens["access_token"]).status_code == 200


def test_client_credentials_and_require_oauth(app, live_server, make_rp):
    """A service client gets a token with client_credentials; `require_oauth` protects an
    API with it (current_token.account is None, current_token.client is the client)."""
    from idp.oidc.server import current_token, require_oauth

    api = Blueprint("test_api", __name__)

    @api.get("/api/test/whoami")
    @require_oauth("invitations")
    def whoami():
        return jsonify(client=current_token.client.client_id, account=current_token.account)

    app.register_blueprint(api)
    rp = make_rp(
        "Service", redirect_uris=(), grant_types=["client_credentials"], scopes=["invitations"]
    )
    response = requests.post(
        f"{live_server}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "invitations"},
        auth=(rp.client_id, rp.client_secret),
        timeout=5,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body and "id_token" not in body
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    who = requests.get(f"{live_server}/api/test/whoami", headers=headers, timeout=5)
    assert who.json() == {"client": rp.client_id, "account": None}
    assert requests.get(f"{live_server}/api/test/whoami", timeout=5).status_code == 401


def test_private_key_jwt_and_replayed_jti(app, live_server, make_rp):
    """private_key_jwt authenticates with a signed assertion; the same jti twice is refused."""
    rp, key = signed_client(make_rp)
    token_url = f"{live_server}/oauth/token"
    now = int(time.time())
    claims = {
        "iss": rp.client_id,
        "sub": rp.client_id,
        "aud": token_url,
        "exp": now + 60,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    assertion = jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    assert requests.post(token_url, data=data, timeout=5).status_code == 200
    replay = requests.post(token_url, data=data, timeout=5)
    assert replay.status_code in (400, 401) and replay.json()["error"] == "invalid_client"
    fresh = private_key_jwt_sign(key, rp.client_id, token_url, alg="ES256")
    data["client_assertion"] = fresh
    assert requests.post(token_url, data=data, timeout=5).status_code == 200


def test_form_post_response_mode(live_server, browser, person, rp):
    """response_mode=form_post returns a page whose form posts code and state to the RP."""
    url = authorize_url(live_server, rp, pkce()[1], response_mode="form_post", state="fp")
    page = browser.authorize(url, person)
    assert page.status_code == 200
    assert f'action="{rp.redirect_uri}"' in page.text
    assert 'name="code"' in page.text and 'name="state" value="fp"' in page.text
    assert "js/oidc.js" in page.text  # auto-submit without inline script (CSP)


def test_ui_locales_switches_the_pages_to_english(live_server, browser, person, rp):
    """ui_locales=en is remembered for the login and consent pages."""
    url = authorize_url(live_server, rp, pkce()[1], ui_locales="en-GB fr")
    browser.http.get(url, allow_redirects=False)
    page = browser.http.get(f"{live_server}/login", allow_redirects=False)
    assert '<html lang="en"' in page.text


def test_consent_is_remembered_and_skipped_for_first_party(live_server, browser, person, make_rp):
    """Consent is asked once per client and scopes, again for new scopes, never for
    first-party clients; prompt=consent asks again."""
    rp = make_rp()
    _tokens(live_server, browser, person, rp, scope="openid email")
    _tokens(live_server, browser, person, rp, scope="openid email")
    assert browser.consents == 1
    _tokens(live_server, browser, person, rp, scope="openid email profile")
    assert browser.consents == 2
    _tokens(live_server, browser, person, rp, scope="openid email", prompt="consent")
    assert browser.consents == 3
    first = make_rp("Mon Compte Formation", first_party=True)
    _tokens(live_server, browser, person, first)
    assert browser.consents == 3


def test_connected_apps_can_be_revoked(app, live_server, browser, person, rp):
    """ "Applications connectées" lists the consent; "Retirer l'accès" revokes it and the
    client's tokens for that person."""
    tokens = _tokens(live_server, browser, person, rp)
    page = browser.get("/account")
    assert page.status_code == 200
    assert "Applications connectées" in page.text and "Formadist" in page.text
    done = browser.post(
        f"/account/applications/{rp.client_id}/revoke", data={"csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 302
    assert userinfo(live_server, tokens["access_token"]).status_code == 401
    with app.app_context():
        from idp.audit.models import AuditEvent

        types = set(db.session.scalars(db.select(AuditEvent.type)))
        assert {"consent.granted", "consent.revoked", "token.issued"} <= types
    _tokens(live_server, browser, person, rp)
    assert browser.consents == 2


def test_logout_without_id_token_hint_asks_for_confirmation(live_server, browser, person, make_rp):
    """Without id_token_hint the end-session endpoint asks "Voulez-vous vous déconnecter ?"
    and logs out only after the confirmation (POST with CSRF)."""
    rp = make_rp(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    _tokens(live_server, browser, person, rp)
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
    tokens = _tokens(live_server, browser, person, rp)
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


def test_compte_logout_button_uses_front_channel_iframes(live_server, browser, person, make_rp):
    """Compte's own logout lists each front-channel logout URI (with iss and sid) in an
    iframe, with a CSP that allows exactly those frame sources."""
    rp = make_rp(frontchannel_logout_uri="http://localhost:9/front")
    tokens = _tokens(live_server, browser, person, rp)
    sid = jwt.decode(tokens["id_token"], _jwks(live_server)).claims["sid"]
    page = browser.get("/account")
    response = browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "Vous êtes déconnecté" in response.text
    assert "http://localhost:9/front?iss=" in response.text and f"sid={sid}" in response.text
    assert "frame-src http://localhost:9" in response.headers["Content-Security-Policy"]
    assert browser.get("/account").status_code == 302


def test_disabled_client_is_refused_and_its_tokens_die(app, live_server, browser, person, rp):
    """Disabling a client revokes its tokens and refuses new authorizations."""
    from idp.oidc.clients import get_client, set_disabled

    tokens = _tokens(live_server, browser, person, rp)
    with app.app_context():
        set_disabled(get_client(rp.client_id), True)
        db.session.commit()
    assert userinfo(live_server, tokens["access_token"]).status_code == 401
    page = browser.http.get(authorize_url(live_server, rp, pkce()[1]), allow_redirects=False)
    assert page.status_code == 400 and "Location" not in page.headers
    assert urlsplit(live_server).netloc


def test_logout_with_a_bad_id_token_hint_asks_and_never_redirects(
    live_server, browser, person, make_rp
):
    """A forged id_token_hint: no redirection at all; the person is asked to confirm."""
    rp = make_rp(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    tokens = _tokens(live_server, browser, person, rp)
    header, payload, _sig = tokens["id_token"].split(".")
    forged = f"{header}.{payload}.AAAA"
    response = browser.http.get(
        f"{live_server}/oauth/logout",
        params={"id_token_hint": forged, "post_logout_redirect_uri": "http://127.0.0.1:9/bye"},
        allow_redirects=False,
    )
    assert response.status_code == 200 and "Voulez-vous vous déconnecter" in response.text
    assert browser.get("/account").status_code == 200


def test_login_hint_prefills_the_identifier(live_server, browser, rp):
    """login_hint is passed to the login page, which shows it in the identifier field."""
    url = authorize_url(live_server, rp, pkce()[1], login_hint="ivan.petit@example.fr")
    response = browser.http.get(url, allow_redirects=False)
    assert "identifier=ivan.petit@example.fr" in response.headers["Location"]
    page = browser.http.get(f"{live_server}{response.headers['Location']}")
    assert 'value="ivan.petit@example.fr"' in page.text


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
        _tokens(live_server, browser, person, good)
        _tokens(live_server, browser, person, bad)
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


def test_id_token_hint_of_someone_else_asks_for_a_login(app, live_server, browser, person, rp):
    """An id_token_hint naming another person: prompt=none gets login_required, otherwise
    the login form is shown again (once)."""
    from idp.accounts.services import create_account

    with app.app_context():
        create_account(
            email="other@example.fr",
            password=person.password,
            given_name="Olga",
            family_name="Autre",
            confirmed=True,
        )
        db.session.commit()
    hint = _tokens(live_server, browser, person, rp)["id_token"]
    other = type(person)("other@example.fr", person.password, "", 0)
    fresh = Browser(live_server)
    _tokens(live_server, fresh, other, rp)
    silent = fresh.http.get(
        authorize_url(live_server, rp, pkce()[1], prompt="none", id_token_hint=hint),
        allow_redirects=False,
    )
    assert callback_params(silent)["error"] == "login_required"
    logins = fresh.logins
    again = fresh.authorize(authorize_url(live_server, rp, pkce()[1], id_token_hint=hint), other)
    assert "code" in callback_params(again) and fresh.logins == logins + 1


def test_new_keys_are_published_before_they_sign(app, live_server, browser, person, rp):
    """A rotated-in key appears in JWKS at once while the previous key keeps signing; once
    the activation delay has passed, ID tokens carry the new key's kid."""
    from idp.oidc.keys import rotate_keys

    app.config["OIDC_KEY_ACTIVATION_DELAY"] = 2
    old_kid = jwt.decode(
        _tokens(live_server, browser, person, rp)["id_token"], _jwks(live_server)
    ).header["kid"]
    with app.app_context():
        new_kids = {k.kid for k in rotate_keys()}
    published = {
        k["kid"] for k in requests.get(f"{live_server}/oauth/jwks", timeout=5).json()["keys"]
    }
    assert new_kids <= published and old_kid in published
    during = jwt.decode(_tokens(live_server, browser, person, rp)["id_token"], _jwks(live_server))
    assert during.header["kid"] == old_kid
    time.sleep(2.5)
    after = jwt.decode(_tokens(live_server, browser, person, rp)["id_token"], _jwks(live_server))
    assert after.header["kid"] in new_kids


def test_nir_only_for_clients_allowed_the_nir_scope(live_server, browser, person, make_rp):
    """The NIR is released only with the dedicated scope, to a client allowed it, after
    the consent page said so in words."""
    plain = make_rp("Sans NIR")
    allowed = make_rp("Avec NIR", scopes=["openid", "profile", "nir"])
    denied = _tokens(live_server, browser, person, plain, scope="openid profile nir")
    assert "nir" not in userinfo(live_server, denied["access_token"]).json()
    granted = _tokens(live_server, browser, person, allowed, scope="openid profile nir")
    assert "Votre numéro de sécurité sociale" in browser.last_page
    info = userinfo(live_server, granted["access_token"]).json()
    assert info["nir"] == "1800575123456" + f"{97 - 1800575123456 % 97:02d}"
