"""Every failure of an upstream sign-in is one French page with the ways back, an HTTP 4xx
or 502 (never a 500), and an audit event `federation.failed` naming the provider and why:
the provider unknown, disabled or down, the person refusing, a wrong or expired state, a
bad signature, an acr too low."""

from __future__ import annotations

import logging
from html import unescape

import pytest
from joserfc.jwk import KeySet, RSAKey

from idp.federation import flow, providers
from tests.federation.helpers import (
    Browser,
    UpstreamClient,
    declare,
    other_keys_in_front,
    register_client,
)
from tests.support.accounts import events
from tests.support.servers import free_port, serve_wsgi
from tests.support.upstream import upstream_compte


def failure(app, response, status: int, reason: str, provider: str | None = "fc") -> str:
    """The error page (its status, its ways back) and the audit event; returns its text."""
    assert response.status_code == status, response.text[:2000]
    page = unescape(response.text)
    assert 'id="federation-error"' in page
    assert "Revenir à la connexion" in page and "Se connecter avec un mot de passe" in page
    assert events(app, "federation.failed")[-1].details == {"provider": provider, "reason": reason}
    return page


def test_an_unknown_provider(app, browser):
    """A provider nobody declared: 404, said in words."""
    page = failure(app, browser.get("/login/with/nobody"), 404, "provider_unknown", "nobody")
    assert "n'existe pas ou plus" in page


def test_a_disabled_provider(app, browser, provider):
    """A disabled provider is followed neither at the start nor at the callback."""
    with app.app_context():
        providers.set_enabled(providers.get(provider), False)
    failure(app, browser.get(f"/login/with/{provider}"), 404, "provider_disabled")
    answer = browser.get(f"/login/with/{provider}/callback", params={"state": "x", "code": "y"})
    assert "pas proposé" in failure(app, answer, 404, "provider_disabled")


def test_a_provider_that_does_not_answer(app, browser):
    """The provider's address is a closed port: "ne répond pas", 502, with a retry."""
    declare(app, f"http://127.0.0.1:{free_port()}", UpstreamClient("compte", "secret"))
    page = failure(app, browser.get("/login/with/fc"), 502, "discovery_failed")
    assert "ne répond pas" in page and "Réessayer avec FranceConnect" in page


def test_a_provider_that_goes_down_during_the_sign_in(app, live_server, tmp_path, citizen_on):
    """The provider stops between its login page and the code exchange: 502."""
    browser = Browser(live_server)
    with upstream_compte(tmp_path / "short-lived", host="localhost") as short:
        person = citizen_on(short)
        declare(app, short.url, register_client(short, live_server))
        back = browser.at_upstream(browser.get("/login/with/fc"), person)
    page = failure(app, browser.follow(back), 502, "token_failed")
    assert "ne répond pas" in page


def test_the_person_refuses_at_the_provider(app, upstream, live_server, browser, citizen):
    """ "Refuser" on the provider's consent page: the callback brings error=access_denied,
    and the page says the person cancelled (403)."""
    declare(app, upstream.url, register_client(upstream, live_server, first_party=False))
    back = browser.at_upstream(browser.get("/login/with/fc"), citizen, consent="refuse")
    page = failure(app, browser.follow(back), 403, "access_denied")
    assert "Vous avez annulé la connexion" in page


@pytest.mark.parametrize(
    ("params", "reason"),
    [({"code": "abc"}, "state_missing"), ({"code": "abc", "state": "forged"}, "state_unknown")],
)
def test_a_callback_this_browser_did_not_start(app, browser, provider, params, reason):
    """A callback without our state (none, or one we never gave): 400."""
    answer = browser.get(f"/login/with/{provider}/callback", params=params)
    assert "aucune connexion en cours" in failure(app, answer, 400, reason)


def test_an_expired_state(app, browser, provider, citizen, monkeypatch):
    """The person took longer than a pending request lives: 400, "a expiré"."""
    back = browser.at_upstream(browser.get(f"/login/with/{provider}"), citizen)
    monkeypatch.setattr(flow, "PENDING_LIFETIME", -1)
    assert "a expiré" in failure(app, browser.follow(back), 400, "state_expired")


def test_an_id_token_whose_signature_does_not_verify(app, live_server, tmp_path, citizen_on):
    """A provider whose published keys do not hold the key that signed its ID token (a
    tampering proxy in front of it): 502, "n'a pas pu être vérifiée", nobody signed in."""
    port = free_port()
    issuer = f"http://localhost:{port}"
    other = KeySet([RSAKey.generate_key(2048, parameters={"kid": "other"})])
    with upstream_compte(tmp_path / "tampered", host="localhost", ISSUER=issuer) as tampered:
        person = citizen_on(tampered)
        with serve_wsgi(other_keys_in_front(tampered.app, other.as_dict(private=False)), port):
            declare(app, issuer, register_client(tampered, live_server))
            browser = Browser(live_server)
            answer = browser.sign_in_with("fc", person)
    assert "pas pu être vérifiée" in failure(app, answer, 502, "bad_signature")
    assert not browser.signed_in()


def test_an_acr_lower_than_asked(app, upstream, upstream_client, browser, citizen):
    """The provider is asked for eidas2 and signs the person in with a password (eidas1):
    refused as too low (403)."""
    declare(app, upstream.url, upstream_client, acr_values="eidas2")
    page = failure(app, browser.sign_in_with("fc", citizen), 403, "acr_too_low")
    assert "niveau de sécurité" in page
    assert not browser.signed_in()


def test_no_secret_nor_token_in_the_logs(app, browser, provider, citizen, upstream_client, caplog):
    """A sign-in, a failure included, writes neither the client secret nor a token in
    Compte's logs (the failure itself is logged, by its reason)."""
    caplog.set_level(logging.DEBUG)
    browser.get(f"/login/with/{provider}/callback", params={"state": "forged", "code": "abc"})
    assert browser.sign_in_with(provider, citizen).status_code == 302
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))
    assert "state_unknown" in ours
    assert upstream_client.client_secret not in ours
    assert "eyJ" not in ours  # no JWT: ID token, signed userinfo
