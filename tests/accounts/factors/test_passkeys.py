"""Passkeys in-process: adding and removing one on the Sécurité page, what the options
ask of the authenticator, the `amr` of each use, with the software authenticator of
tests/support/passkeys.py. The refusals are in test_passkeys_refusals.py, the browser
journey in test_passkeys_browser.py."""

from __future__ import annotations

import re
from html import unescape

import bcrypt
import pytest

from idp.accounts.factors.models import Passkey
from idp.accounts.models import Account
from idp.core.extensions import db
from tests.support.accounts import events, make_account, text
from tests.support.mail import wait_for_mail
from tests.support.passkey_flows import (
    begin_second_step,
    login_options,
    passwordless,
    post_json,
    register,
    second_step,
    token,
)
from tests.support.passkeys import SoftAuthenticator, unb64url
from tests.support.sessions import signed_in

ORIGIN = "http://localhost"  # the test client's address, and the issuer's
EMAIL = "ivan@example.org"


@pytest.fixture
def settings(settings):
    return {**settings, "ISSUER": ORIGIN}


@pytest.fixture
def account_id(app) -> int:
    return make_account(app, EMAIL)


def _amr(client) -> list[str]:
    with client.session_transaction() as session:
        return list(session.get("amr") or [])


def _passkeys(app, account_id: int) -> list[Passkey]:
    with app.app_context():
        rows = db.session.scalars(db.select(Passkey).where(Passkey.account_id == account_id))
        found = list(rows)
        for row in found:
            db.session.expunge(row)
        return found


def _mfa_session(client) -> None:
    with client.session_transaction() as session:
        session["amr"] = ["pwd", "hwk", "mfa"]


def test_registration_options_ask_for_a_discoverable_key_without_attestation(app, account_id):
    """residentKey required, user verification preferred, attestation none, RP = the
    issuer's host, a random user handle (not the id, not the address), the account's
    passkeys excluded."""
    person = signed_in(app, account_id)
    csrf = token(person, "/account/security")
    first = post_json(person, "/account/security/passkeys/options", csrf).get_json()["publicKey"]
    assert first["rp"] == {"name": app.config["SERVICE_NAME"], "id": "localhost"}
    assert first["authenticatorSelection"]["residentKey"] == "required"
    assert first["authenticatorSelection"]["userVerification"] == "preferred"
    assert first["attestation"] == "none"
    assert first["excludeCredentials"] == []
    handle = unb64url(first["user"]["id"])
    assert len(handle) == 32 and EMAIL.encode() not in handle
    assert first["user"]["name"] == EMAIL
    with app.app_context():
        stored = db.session.get(Account, account_id).webauthn_user_id
    assert unb64url(stored) == handle

    key = SoftAuthenticator(ORIGIN)
    assert register(person, key).status_code == 200
    _mfa_session(person)
    again = post_json(person, "/account/security/passkeys/options", csrf).get_json()["publicKey"]
    assert unb64url(again["user"]["id"]) == handle  # one handle per account
    assert [unb64url(c["id"]) for c in again["excludeCredentials"]] == list(key.credentials)


def test_a_new_passkey_is_listed_audited_and_mailed(app, account_id, smtp_sink):
    """The named passkey shows on the Sécurité page with its date and "jamais utilisée";
    factor.passkey_added is recorded and both addresses get the security mail."""
    person = signed_in(app, account_id)
    answer = register(person, SoftAuthenticator(ORIGIN), name="  Téléphone   perso ")
    assert answer.status_code == 200
    assert answer.get_json() == {"redirect": "/account/security"}
    page = unescape(text(person.get("/account/security")))
    assert "Téléphone perso" in page and "Ajoutée le" in page and "jamais utilisée" in page
    assert "La clé d'accès « Téléphone perso » a été ajoutée." in page
    assert 'Supprimer<span class="sr-only"> la clé d\'accès « Téléphone perso »' in page
    [row] = _passkeys(app, account_id)
    assert row.transports == ["internal"] and row.backed_up is False and row.sign_count == 0
    assert row.aaguid == "00000000-0000-0000-0000-000000000000"
    [event] = events(app, "factor.passkey_added")
    assert event.account_id == account_id and event.details["name"] == "Téléphone perso"
    mail = wait_for_mail(smtp_sink, EMAIL)
    assert "clé d'accès « Téléphone perso » ajoutée" in mail.text


def test_an_unnamed_passkey_is_named_after_the_day_and_the_browser(app, account_id):
    """Without a name: "Clé d'accès du <date> (<browser>, <system>)"."""
    person = signed_in(app, account_id)
    person.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
    )
    register(person, SoftAuthenticator(ORIGIN), name="")
    [row] = _passkeys(app, account_id)
    assert row.name.startswith("Clé d'accès du ") and row.name.endswith("(Firefox, Windows)")


def test_made_with_user_verification_it_counts_in_the_session_and_goes_on(app, account_id):
    """A passkey made with UV is proved at once: the session's amr gains it (mfa) and the
    person goes on to the `next` the enrolment was asked for."""
    person = signed_in(app, account_id)
    answer = register(person, SoftAuthenticator(ORIGIN), next_url="/account/data")
    assert answer.get_json() == {"redirect": "/account/data"}
    assert _amr(person) == ["pwd", "hwk", "pop", "user", "mfa"]


def test_made_without_user_verification_it_is_asked_once_before_going_on(app, account_id):
    """Without UV the key is asked for once (the step-up page), then `next`."""
    person = signed_in(app, account_id)
    answer = register(person, SoftAuthenticator(ORIGIN, user_verified=False), next_url="/account")
    assert answer.get_json() == {"redirect": "/login/verify"}
    assert _amr(person) == ["pwd"]


def test_passwordless_sign_in_is_multi_factor_and_costs_no_bcrypt(
    app, account_id, client, monkeypatch
):
    """Without password: no allowCredentials, user verification required; the session
    opens with amr hwk + pop + user + mfa (swk for a synced passkey), the use is dated, and not
    one bcrypt call is made."""
    person = signed_in(app, account_id)
    hardware, synced = SoftAuthenticator(ORIGIN), SoftAuthenticator(ORIGIN, backed_up=True)
    register(person, hardware, name="Clé USB")
    _mfa_session(person)
    register(person, synced, name="Téléphone")

    calls = []
    for name in ("checkpw", "hashpw"):
        real = getattr(bcrypt, name)
        monkeypatch.setattr(
            bcrypt, name, lambda *a, _real=real, _n=name: calls.append(_n) or _real(*a)
        )
    options = login_options(client, token(client))
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    answer = passwordless(client, hardware, next_url="/account")
    assert answer.status_code == 200 and answer.get_json() == {"redirect": "/account"}
    assert _amr(client) == ["hwk", "pop", "user", "mfa"]
    assert client.get("/account").status_code == 200

    other = app.test_client()
    assert passwordless(other, synced).get_json() == {"redirect": "/"}
    assert _amr(other) == ["swk", "pop", "user", "mfa"]
    assert calls == []
    succeeded = [e.details["amr"] for e in events(app, "login.succeeded")]
    assert succeeded == [["hwk", "pop", "user", "mfa"], ["swk", "pop", "user", "mfa"]]
    used = {row.name: row for row in _passkeys(app, account_id)}
    assert used["Clé USB"].last_used_at is not None and used["Clé USB"].sign_count == 1
    assert "dernière utilisation le" in text(client.get("/account/security"))


def test_the_second_step_with_a_passkey_completes_the_sign_in(app, account_id, client):
    """After the password, one of the account's passkeys (allowCredentials) completes
    the sign-in: amr pwd + hwk + pop (+ user) + mfa."""
    person = signed_in(app, account_id)
    key = SoftAuthenticator(ORIGIN, user_verified=False)
    register(person, key)
    begin_second_step(client, app, account_id)
    csrf = token(client)
    options = post_json(client, "/login/verify/passkey/options", csrf).get_json()["publicKey"]
    assert [unb64url(c["id"]) for c in options["allowCredentials"]] == list(key.credentials)
    assert options["userVerification"] == "preferred"
    answer = second_step(client, key)
    assert answer.status_code == 200 and answer.get_json() == {"redirect": "/"}
    assert _amr(client) == ["pwd", "hwk", "pop", "mfa"]
    assert client.get("/account").status_code == 200


def test_a_step_up_with_a_passkey_adds_it_to_the_session(app, account_id):
    """Signed in with the password only: adding a second passkey first asks for the
    first one (step-up); once given, the session is multi-factor and the add goes on."""
    person = signed_in(app, account_id)
    key = SoftAuthenticator(ORIGIN)
    register(person, key)
    with person.session_transaction() as session:
        session["amr"] = ["pwd"]  # a later sign-in with the password only
    csrf = token(person, "/account/security")
    asked = post_json(person, "/account/security/passkeys/options", csrf).get_json()
    assert asked == {"redirect": "/login/verify"}
    answer = second_step(person, key)
    assert answer.get_json() == {"redirect": "/account/security"}
    assert _amr(person) == ["pwd", "hwk", "pop", "user", "mfa"]
    assert register(person, SoftAuthenticator(ORIGIN)).status_code == 200
    assert len(_passkeys(app, account_id)) == 2


def test_removing_a_passkey_asks_for_the_second_factor_then_audits_and_mails(
    app, account_id, smtp_sink
):
    """Remove (a form with CSRF): with a password-only session it first asks for the
    factor; in a multi-factor session the key goes, audited and mailed."""
    person = signed_in(app, account_id)
    register(person, SoftAuthenticator(ORIGIN), name="Ancienne clé")
    [row] = _passkeys(app, account_id)
    with person.session_transaction() as session:
        session["amr"] = ["pwd"]
    url = f"/account/security/passkeys/{row.id}/remove"
    csrf = token(person, "/account/security")
    asked = person.post(url, data={"csrf_token": csrf})
    assert asked.status_code == 302 and asked.headers["Location"] == "/login/verify"
    assert len(_passkeys(app, account_id)) == 1

    _mfa_session(person)
    without_csrf = person.post(url, data={})
    assert without_csrf.status_code == 400 and len(_passkeys(app, account_id)) == 1
    done = person.post(url, data={"csrf_token": csrf}, follow_redirects=True)
    assert "La clé d'accès « Ancienne clé » a été supprimée." in unescape(text(done))
    assert _passkeys(app, account_id) == []
    [event] = events(app, "factor.passkey_removed")
    assert event.details["name"] == "Ancienne clé"
    mail = wait_for_mail(smtp_sink, EMAIL, count=2)
    assert "clé d'accès « Ancienne clé » supprimée" in mail.text


def test_a_passkey_of_another_account_cannot_be_removed(app, account_id):
    """The remove form of someone else's passkey changes nothing."""
    owner_id = make_account(app, "other@example.org")
    register(signed_in(app, owner_id), SoftAuthenticator(ORIGIN))
    [row] = _passkeys(app, owner_id)
    person = signed_in(app, account_id)
    csrf = token(person, "/account/security")
    person.post(f"/account/security/passkeys/{row.id}/remove", data={"csrf_token": csrf})
    assert len(_passkeys(app, row.account_id)) == 1


def test_the_admin_reset_removes_every_passkey_and_the_user_handle(app, account_id):
    """factors.remove_all (an administrator's reset) deletes the passkeys and the handle."""
    from idp.accounts import factors

    person = signed_in(app, account_id)
    register(person, SoftAuthenticator(ORIGIN))
    with app.app_context():
        account = db.session.get(Account, account_id)
        assert factors.enrolled(account) == ["passkey"]
        assert factors.remove_all(account) == ["passkey"]
        db.session.commit()
        assert account.webauthn_user_id is None and factors.enrolled(account) == []


def test_the_passkey_parts_pass_the_accessibility_checks(app, account_id, client):
    """The login page with its passkey button, the Sécurité page with a passkey listed
    and the second step's passkey part: every field labelled, one h1, the error zones
    are alerts, each remove button names its key for screen readers."""
    from flask import render_template_string

    from tests.security.helpers import Page

    person = signed_in(app, account_id)
    register(person, SoftAuthenticator(ORIGIN), name="Téléphone")
    with app.test_request_context():
        second_step_part = render_template_string(
            '{% extends "base.html" %}{% block content %}<h1>Vérification</h1>'
            '{% include "accounts/_passkey_second_factor.html" %}{% endblock %}'
        )
    for html in (
        text(client.get("/login")),
        text(person.get("/account/security")),
        second_step_part,
    ):
        page = Page(html)
        assert page.html_lang and page.h1 == 1
        for field in page.inputs:
            if field["tag"] == "input" and field.get("type") not in ("hidden", "submit"):
                assert field.get("id") in page.label_for, field
        assert 'role="alert" data-passkey-error' in html
        # Only scripts of our own files (passkeys.js, and forms.js on every page): none inline.
        assert "<script" not in re.sub(r'<script src="/static/js/(passkeys|forms)\.js"', "", html)
