"""Passkeys in headless Chromium with its virtual authenticator (DevTools' WebAuthn
domain): add one on the Sécurité page, use it as the second step after the password,
sign in without password through a service (the ID token's amr), remove it.

WebAuthn refuses an IP address as relying party: the issuer is http://localhost:<port>
here (the live server listens on 127.0.0.1, which localhost names)."""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import expect

from idp.core.extensions import db
from tests.support.accounts import PASSWORD, make_account
from tests.support.mail import wait_for_mail

pytestmark = pytest.mark.browser
EMAIL = "ivan@example.org"
# Chromium's virtual authenticator answers an autofill (conditional) request at once,
# on every login page shown. This holds such a request instead, as a person who does not
# pick from the list, until it is aborted; unless the tab's sessionStorage says
# autofill=pick, where the person picks the passkey from the list.
HOLD_CONDITIONAL = """
const realGet = navigator.credentials.get.bind(navigator.credentials);
navigator.credentials.get = (options) => {
  if (!options || options.mediation !== "conditional"
      || sessionStorage.getItem("autofill") === "pick") return realGet(options);
  sessionStorage.setItem("conditional", "waiting");
  return new Promise((resolve, reject) => options.signal.addEventListener("abort", () => {
    sessionStorage.setItem("conditional", "aborted");
    reject(new DOMException("aborted", "AbortError"));
  }));
};
"""


@pytest.fixture
def backend() -> str:
    """Pages and JavaScript, not the database: SQLite only (the in-process tests run on
    PostgreSQL too)."""
    return "sqlite"


@pytest.fixture
def settings(settings, app_port):
    return {**settings, "ISSUER": f"http://localhost:{app_port}"}


@pytest.fixture
def service(app) -> tuple[str, str, str]:
    """A first-party service (no consent page) whose callback, /_test/callback on the
    live server, only says "ok": (client_id, client_secret, redirect_uri)."""
    from idp.oidc.clients import create_client

    callback = app.config["ISSUER"] + "/_test/callback"
    app.add_url_rule("/_test/callback", "test_callback", lambda: "ok")
    with app.app_context():
        client, secret = create_client("Formadist", redirect_uris=[callback], first_party=True)
        db.session.commit()
        return client.client_id, secret, callback


def _virtual_authenticator(page) -> tuple:
    """A platform authenticator with discoverable credentials and user verification."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def _claims(id_token: str) -> dict:
    payload = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _wait_for_held_autofill(page, timeout: float = 30) -> None:
    """Until the login page's autofill request is held (HOLD_CONDITIONAL). Polled from
    here: page.wait_for_function evaluates its predicate with eval, which the pages' CSP
    (script-src 'self') refuses once it has to poll."""
    deadline = time.monotonic() + timeout
    while page.evaluate("sessionStorage.getItem('conditional')") != "waiting":
        assert time.monotonic() < deadline, "the autofill request never started"
        time.sleep(0.1)


def _sign_out(page) -> None:
    page.locator("header").get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("header")).to_contain_text("Se connecter")


def test_a_passkey_from_creation_to_removal(app, live_server, page, shot, service, smtp_sink):
    """Add a passkey in Sécurité; sign in with password then the passkey; sign in to a
    service with the passkey alone (ID token amr hwk, pop, user, mfa); remove it."""
    base = app.config["ISSUER"]
    make_account(app, EMAIL)
    page.set_default_timeout(30_000)  # a long journey, on a machine others share
    cdp, authenticator = _virtual_authenticator(page)
    page.add_init_script(HOLD_CONDITIONAL)

    # 1. Signed in with the password, add a passkey on the Sécurité page.
    page.goto(base + "/login")
    expect(page.get_by_role("button", name="Se connecter avec une clé d'accès")).to_be_visible()
    page.locator("#identifier").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form [name=submit]").click()
    page.goto(base + "/account/security")
    page.get_by_label("Nom de la clé (facultatif)").fill("Ordinateur de test")
    page.get_by_role("button", name="Ajouter une clé d'accès").click()
    expect(page.get_by_role("status")).to_contain_text("« Ordinateur de test » a été ajoutée")
    expect(page.locator(".passkey-list")).to_contain_text("jamais utilisée")
    shot("passkey-added")
    assert (
        len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"])
        == 1
    )
    assert "ajoutée" in wait_for_mail(smtp_sink, EMAIL).text
    _sign_out(page)

    # 2. The password, then the passkey as the second step (offered first).
    page.goto(base + "/login")
    page.locator("#identifier").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form [name=submit]").click()
    page.wait_for_url(base + "/login/verify")
    shot("second-step")
    page.get_by_role("button", name="Utiliser ma clé d'accès").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/account")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert urlsplit(page.url).path == "/account"
    _sign_out(page)

    # 3. A service asks Compte; on the login page, the browser's autofill offers the
    #    passkey (conditional mediation; the virtual authenticator picks it at once).
    client_id, secret, callback = service
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback,
            "scope": "openid email",
            "state": "s1",
            "nonce": "n1",
        }
    )
    page.evaluate("sessionStorage.setItem('autofill', 'pick')")
    page.goto(f"{base}/oauth/authorize?{query}")
    page.wait_for_url(re.compile("^" + re.escape(callback)))
    page.evaluate("sessionStorage.removeItem('autofill')")
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    tokens = requests.post(
        f"{live_server}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": callback},
        auth=(client_id, secret),
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    assert _claims(tokens.json()["id_token"])["amr"] == ["hwk", "pop", "user", "mfa"]
    page.goto(base + "/account")
    _sign_out(page)

    # 4. The button, while the autofill request waits (a person who does not pick from
    #    the list: the conditional request is held until aborted): it is aborted, and
    #    the button's own request signs in.
    page.evaluate("sessionStorage.removeItem('conditional')")
    page.goto(base + "/login?next=/account")
    _wait_for_held_autofill(page)
    shot("login-with-passkey")
    page.get_by_role("button", name="Se connecter avec une clé d'accès").click()
    page.wait_for_url(base + "/account")
    assert page.evaluate("sessionStorage.getItem('conditional')") == "aborted"

    # 4. Remove it (the session is multi-factor: no second step asked).
    page.goto(base + "/account/security")
    expect(page.locator(".passkey-list")).to_contain_text("dernière utilisation le")
    page.get_by_role("button", name="Supprimer la clé d'accès « Ordinateur de test »").click()
    expect(page.get_by_role("status")).to_contain_text("« Ordinateur de test » a été supprimée")
    expect(page.locator("#passkeys")).to_contain_text("Vous n'avez pas encore de clé d'accès.")
    shot("passkey-removed")


def test_refusals_are_told_in_words_and_announced(app, live_server, page, shot):
    """No passkey for this site on the device: the browser refuses, and the words show
    in the error zone (role=alert) under the button."""
    base = app.config["ISSUER"]
    _virtual_authenticator(page)
    page.goto(base + "/login")
    # Nothing for this site on the authenticator: the browser refuses (NotAllowedError).
    page.get_by_role("button", name="Se connecter avec une clé d'accès").click()
    alert = page.locator(".passkey-login [role=alert]")
    expect(alert).to_contain_text("La clé d'accès n'a pas été utilisée", timeout=20_000)
    shot("login-refused")
