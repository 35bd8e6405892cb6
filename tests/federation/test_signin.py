"""Signing in through an upstream provider (a second Compte playing FranceConnect, over
real HTTP): a new person registers from the provider's claims, a linked person is signed
in, and a service's pending authorization request completes."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from idp.accounts.passwords import has_password
from idp.core.extensions import db
from idp.oidc.clients import create_client
from tests.federation.helpers import (
    CITIZEN_EMAIL,
    CITIZEN_PASSWORD,
    Browser,
    Citizen,
    declare,
    links_of,
    register_client,
    register_through,
)
from tests.oidc.helpers import authorize_url, exchange, pkce
from tests.support.accounts import account_by_email, events, make_account
from tests.support.forms import csrf_of
from tests.support.mail import wait_for_mail
from tests.support.registration import confirm_link, path_of

RP_REDIRECT = "http://127.0.0.1:9/callback"


def test_a_new_person_registers_from_the_claims_and_is_signed_in(app, browser, provider, citizen):
    """No account has the vouched address: the form comes pre-filled from the claims; once
    the terms are accepted the account exists (confirmed, no password), is linked with the
    pivot identity, and the person lands signed in on "Mes services"."""
    page, done = register_through(browser, provider, citizen)
    assert 'value="Camille"' in page.text and 'value="Martin"' in page.text
    assert CITIZEN_EMAIL in page.text  # the provider's address, shown, not asked
    assert done.status_code == 302, done.text[:2000]
    assert urlsplit(done.headers["Location"]).path == "/"
    assert browser.signed_in()
    account = account_by_email(app, CITIZEN_EMAIL)
    assert account.is_confirmed and not has_password(account.password_hash)
    link = links_of(app, account.id)[0]
    assert link["pivot_identity"]["given_name"] == "Camille"
    assert link["pivot_identity"]["birthdate"] == "1990-04-12"
    assert events(app, "federation.linked")[-1].details["via"] == "registration"
    assert events(app, "login.succeeded")[-1].details["amr"] == ["fed"]


def test_a_linked_person_is_signed_in_at_once(app, live_server, browser, provider, citizen):
    """The second time, the upstream `sub` is linked: the callback signs the account in
    and goes to "Mes services", and the link's last use is written down."""
    register_through(browser, provider, citizen)
    account = account_by_email(app, CITIZEN_EMAIL)
    first_use = links_of(app, account.id)[0]["last_used_at"]
    again = Browser(live_server)
    for cookie in browser.http.cookies:  # the upstream still knows the person
        if cookie.domain.startswith("localhost"):
            again.http.cookies.set_cookie(cookie)
    back = again.sign_in_with(provider, None)
    assert back.status_code == 302
    assert urlsplit(back.headers["Location"]).path == "/"
    assert again.signed_in()
    assert links_of(app, account.id)[0]["last_used_at"] >= first_use
    assert len(events(app, "login.succeeded")) == 2


def test_a_services_pending_authorization_completes(app, live_server, browser, provider, citizen):
    """Formadist sends the person to Compte's login, who chooses FranceConnect: back from
    the upstream, the authorization request completes and Formadist gets a code whose ID
    token says how the person signed in (amr fed, acr eidas1)."""
    register_through(browser, provider, citizen)
    rp = make_first_party_rp(app)
    person = Browser(live_server)
    verifier, challenge = pkce()
    asked = person.get(authorize_url(live_server, rp, challenge))
    assert asked.status_code == 302
    login = urlsplit(asked.headers["Location"])
    assert login.path == "/login"
    next_url = parse_qs(login.query)["next"][0]
    back = person.sign_in_with(provider, Citizen(CITIZEN_EMAIL, CITIZEN_PASSWORD, ""), next_url)
    assert back.headers["Location"] == next_url
    to_rp = person.follow(back)
    assert to_rp.headers["Location"].startswith(rp.redirect_uri)
    code = parse_qs(urlsplit(to_rp.headers["Location"]).query)["code"][0]
    tokens = exchange(live_server, rp, code, verifier)
    assert tokens.status_code == 200, tokens.text
    claims = payload(tokens.json()["id_token"])
    assert claims["amr"] == ["fed"] and claims["acr"] == "eidas1"
    assert claims["sub"] == account_by_email(app, CITIZEN_EMAIL).sub


def test_a_signed_userinfo_answer_is_verified_and_used(app, upstream, live_server, citizen):
    """An upstream that answers userinfo as a signed JWT (as FranceConnect v2 does): the
    JWT is verified with the provider's keys and its claims fill the registration."""
    client = register_client(upstream, live_server, "signed", userinfo_alg="ES256")
    declare(app, upstream.url, client, "signed")
    browser = Browser(live_server)
    page, done = register_through(browser, "signed", citizen)
    assert 'value="Camille"' in page.text
    assert done.status_code == 302 and browser.signed_in()


def test_a_password_chosen_at_registration_signs_in_too(app, browser, provider, citizen):
    """A password given on the registration page works on the login page afterwards."""
    _, done = register_through(
        browser,
        provider,
        citizen,
        password="Liberte-Egalite-2026",
        password_confirm="Liberte-Egalite-2026",
    )
    assert done.status_code == 302
    account = account_by_email(app, CITIZEN_EMAIL)
    assert has_password(account.password_hash)
    other = Browser(browser.ours)
    signed = other.post_form(
        "/login", {"identifier": CITIZEN_EMAIL, "password": "Liberte-Egalite-2026"}
    )
    assert signed.status_code == 302 and other.signed_in()


def make_first_party_rp(app):
    """Formadist, a first-party service of our Compte (no consent page)."""
    with app.app_context():
        client, secret = create_client(
            "Formadist", redirect_uris=[RP_REDIRECT], first_party=True, scopes=("openid", "email")
        )
        db.session.commit()
        return SimpleNamespace(
            client_id=client.client_id, client_secret=secret, redirect_uri=RP_REDIRECT
        )


def payload(jwt: str) -> dict:
    """The claims of a JWT (its signature is the token endpoint's business here)."""
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _nir(body: str) -> str:
    """A NIR with its key (97 minus the number modulo 97)."""
    return body + f"{97 - int(body) % 97:02d}"


def test_registration_asks_the_nir_when_the_deployment_requires_it(app, browser, provider, citizen):
    """With NIR_FIELD "required" (the cpf preset) the pre-filled form also asks the NIR, which
    no provider gives: refused when missing or contradicting the birth date, kept when right."""
    app.config["NIR_FIELD"] = "required"
    page, missing = register_through(browser, provider, citizen)
    assert 'name="nir"' in page.text
    assert missing.status_code == 200
    assert "Indiquez votre numéro de sécurité sociale." in missing.text.replace("&#39;", "'")
    wrong_month = _nir("2900575123456")  # born in May according to the NIR, April in fact
    refused = browser.post(
        page.url,
        {
            "csrf_token": csrf_of(missing.text),
            "given_name": "Camille",
            "family_name": "Martin",
            "civility": "mme",
            "birthdate": "1990-04-12",
            "nir": wrong_month,
            "accept_terms": "y",
        },
    )
    assert refused.status_code == 200 and account_by_email(app, CITIZEN_EMAIL) is None
    right = _nir("2900475123456")
    done = browser.post(
        page.url,
        {
            "csrf_token": csrf_of(refused.text),
            "given_name": "Camille",
            "family_name": "Martin",
            "civility": "mme",
            "birthdate": "1990-04-12",
            "nir": right,
            "accept_terms": "y",
        },
    )
    assert done.status_code == 302, done.text[:2000]
    assert account_by_email(app, CITIZEN_EMAIL).nir == right


def test_a_provider_without_an_address_registers_with_a_confirmed_one(
    app, smtp_sink, live_server, upstream, upstream_client, browser, citizen
):
    """A provider that gives no e-mail (asked for `openid profile` only): the registration
    page asks for an address, the usual confirmation mail follows, and once confirmed the
    provider signs the person in."""
    declare(app, upstream.url, upstream_client, scope="openid profile")
    typed = "camille.martin@example.org"
    page, sent = register_through(browser, "fc", citizen, email=typed)
    assert 'name="email"' in page.text  # asked, since the provider gave none
    assert sent.status_code == 200 and "Vérifiez votre boîte mail" in sent.text
    account = account_by_email(app, typed)
    assert not account.is_confirmed and links_of(app, account.id)
    confirmed = browser.get(path_of(confirm_link(wait_for_mail(smtp_sink, typed))))
    assert confirmed.status_code in (200, 302)
    assert account_by_email(app, typed).is_confirmed
    again = Browser(live_server)
    for cookie in browser.http.cookies:  # the upstream still knows the person
        if cookie.domain.startswith("localhost"):
            again.http.cookies.set_cookie(cookie)
    back = again.sign_in_with("fc", None)
    assert back.status_code == 302 and urlsplit(back.headers["Location"]).path == "/"
    assert again.signed_in()


def test_a_typed_address_that_has_an_account_links_nothing(
    app, smtp_sink, upstream, upstream_client, browser, citizen
):
    """The address typed (the provider gave none) belongs to an account: the page says the
    same as for a new address, the owner gets the usual "account exists" mail, and no link
    is made: an unverified address never links an account."""
    owner = make_account(app, email="deja.inscrite@example.org")
    declare(app, upstream.url, upstream_client, scope="openid profile")
    _page, sent = register_through(browser, "fc", citizen, email="deja.inscrite@example.org")
    assert sent.status_code == 200 and "Vérifiez votre boîte mail" in sent.text
    assert wait_for_mail(smtp_sink, "deja.inscrite@example.org")
    assert links_of(app, owner) == []
