"""What a passkey answer must not get through, in-process with the software authenticator
of tests/support/passkeys.py: a counter going backwards, another account's passkey, a
challenge used twice (even with an old copy of the cookie), another origin or RP ID, no
user verification without password, a locked account, an issuer on an IP address."""

from __future__ import annotations

from html import unescape

import pytest

from idp.accounts.models import Account
from idp.core.clock import utcnow
from idp.core.extensions import db
from tests.support.accounts import events, make_account, text
from tests.support.passkey_flows import (
    begin_second_step,
    login_options,
    passwordless,
    post_json,
    register,
    second_step,
    token,
)
from tests.support.passkeys import SoftAuthenticator
from tests.support.sessions import signed_in

ORIGIN = "http://localhost"
COOKIE = "compte_session"


@pytest.fixture
def settings(settings):
    return {**settings, "ISSUER": ORIGIN}


@pytest.fixture
def key(app) -> SoftAuthenticator:
    """A passkey registered by ivan@example.org."""
    authenticator = SoftAuthenticator(ORIGIN)
    register(signed_in(app, make_account(app, "ivan@example.org")), authenticator)
    return authenticator


def _refused(answer, words: str) -> None:
    assert answer.status_code in (400, 403), answer.status_code
    assert words in answer.get_json()["error"], answer.get_json()


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _reasons(app) -> list[str]:
    return [e.details["reason"] for e in events(app, "login.passkey_failed")]


def test_a_counter_going_backwards_is_refused(app, client, key):
    """A signature counter lower than the last one seen (a cloned authenticator?) is
    refused, audited as sign_count, and the stored counter does not move."""
    assert passwordless(client, key, counter=5).status_code == 200
    other = app.test_client()
    _refused(passwordless(other, key, counter=3), "elle a peut-être été copiée")
    _refused(passwordless(other, key, counter=5), "elle a peut-être été copiée")
    assert not _signed_in(other)
    assert _reasons(app) == ["sign_count", "sign_count"]
    assert passwordless(other, key, counter=6).status_code == 200


def test_the_challenge_serves_once_even_with_an_old_cookie(app, client, key):
    """The same signed answer sent again is refused; so is it with the cookie that still
    held its challenge (the challenge is marked spent server-side)."""
    csrf = token(client)
    options = login_options(client, csrf)
    old_cookie = client.get_cookie(COOKIE).value
    answer = {"credential": key.get(options)}
    assert post_json(client, "/login/passkey", csrf, answer).status_code == 200

    replay = app.test_client()
    replay.set_cookie(COOKIE, old_cookie)
    _refused(post_json(replay, "/login/passkey", csrf, answer), "La demande a expiré")
    assert not _signed_in(replay)
    again = app.test_client()
    again.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    post_json(again, "/login/passkey", csrf, answer)
    assert "replayed" in _reasons(app)


def test_an_answer_for_another_origin_or_rp_id_is_refused(app, client, key):
    """clientDataJSON from another origin, or authenticatorData for another RP ID."""
    _refused(passwordless(client, key, origin="http://evil.example"), "pas pu être vérifiée")
    _refused(passwordless(client, key, rp_id="evil.example"), "pas pu être vérifiée")
    _refused(passwordless(client, key, origin="http://localhost:8080"), "pas pu être vérifiée")
    assert not _signed_in(client)
    assert _reasons(app) == ["invalid", "invalid", "invalid"]


def test_a_challenge_made_for_another_purpose_is_refused(app, client, key):
    """Options asked for the sign-in without password do not serve the second step."""
    account_id = make_account(app, "third@example.org")
    begin_second_step(client, app, account_id)
    csrf = token(client)
    options = login_options(client, csrf)
    answer = {"credential": key.get(options)}
    _refused(post_json(client, "/login/verify/passkey", csrf, answer), "La demande a expiré")


def test_without_password_the_authenticator_must_verify_the_person(app, client, key):
    """A sign-in without password refuses an answer without the UV flag."""
    key.user_verified = False
    _refused(passwordless(client, key), "doit vérifier que c'est bien vous")
    assert _reasons(app) == ["no_user_verification"]


def test_an_unknown_passkey_gets_clear_words_that_name_no_account(app, client):
    """A passkey no account has (removed, say): a clear message, audited without account."""
    stranger = SoftAuthenticator(ORIGIN)
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": "AAAA"}, "challenge": "AAAA"})
    _refused(passwordless(client, stranger), "n'est enregistrée sur aucun compte")
    [event] = events(app, "login.passkey_failed")
    assert event.account_id is None and event.details["reason"] == "unknown_credential"


def test_a_user_handle_that_is_not_the_owners_is_refused(app, client, key):
    """The user handle sent must be the passkey owner's."""
    _refused(passwordless(client, key, user_handle=b"x" * 32), "pas pu être vérifiée")
    assert _reasons(app) == ["user_handle"]


def test_another_accounts_passkey_is_refused_as_second_factor(app, client, key):
    """The second step of Marie's sign-in refuses Ivan's passkey (and offers only
    Marie's), audited on Marie's account; hers then goes through."""
    marie_id = make_account(app, "marie@example.org")
    hers = SoftAuthenticator(ORIGIN)
    register(signed_in(app, marie_id), hers)
    begin_second_step(client, app, marie_id)
    ivan_credential = next(iter(key.credentials))
    _refused(
        second_step(client, key, credential_id=ivan_credential), "n'appartient pas à ce compte"
    )
    [event] = events(app, "login.passkey_failed")
    assert event.account_id == marie_id and event.details["reason"] == "wrong_account"
    assert not _signed_in(client)
    assert second_step(client, hers).status_code == 200
    assert _signed_in(client)


def test_the_second_step_needs_a_pending_sign_in(app, client, key):
    """Without a pending sign-in (or once it expired) the second step says to start
    again, with the login page's address."""
    answer = post_json(client, "/login/verify/passkey/options", token(client))
    assert answer.status_code == 400
    assert answer.get_json()["redirect"] == "/login"


def test_a_locked_or_unconfirmed_account_does_not_sign_in(app, client, key):
    """A valid passkey of a locked account gets the password form's words for a locked
    account; an unconfirmed one, the confirmation link again."""
    with app.app_context():
        account = db.session.scalar(db.select(Account))
        account.locked_at = utcnow()
        db.session.commit()
    answer = passwordless(client, key)
    _refused(answer, "Votre compte est bloqué.")
    assert answer.status_code == 403 and not _signed_in(client)
    assert len(events(app, "login.locked")) == 1

    with app.app_context():
        account = db.session.scalar(db.select(Account))
        account.locked_at, account.email_confirmed_at = None, None
        db.session.commit()
    _refused(passwordless(client, key), "n'est pas encore confirmée")
    assert not _signed_in(client)


def test_json_posts_without_the_csrf_token_are_refused(app, client, key):
    """CSRFProtect covers the JSON endpoints: no X-CSRFToken header, no options."""
    assert client.post("/login/passkey/options", json={}).status_code == 400


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:5000", "http://[::1]:5000"])
def test_on_an_ip_address_passkeys_are_not_offered(app, issuer):
    """WebAuthn refuses an IP address as RP ID: no button on the login page, a plain
    explanation on the Sécurité page, the endpoints refuse, passkeys are not offered as
    a second factor."""
    app.config["ISSUER"] = issuer
    client = app.test_client()
    login_page = text(client.get("/login"))
    assert "Se connecter avec une clé d" not in login_page and "passkeys.js" not in login_page
    answer = post_json(client, "/login/passkey/options", token(client))
    assert answer.status_code == 400 and "adresse IP" in answer.get_json()["error"]
    account_id = make_account(app, "ip@example.org")
    page = unescape(text(signed_in(app, account_id).get("/account/security")))
    assert "Les clés d'accès ne fonctionnent pas à cette adresse" in page
    assert "data-passkey=" not in page
