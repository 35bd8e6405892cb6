"""Logging out of Compte after an upstream sign-in also ends the upstream session: after
Compte's own logout, the browser goes to the provider's end_session_endpoint with the ID
token it issued, and comes back to Compte's "Vous êtes déconnecté" page (or on to the
service that asked for the logout)."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from idp.core.extensions import db
from idp.federation.models import UpstreamSession
from idp.oidc.clients import create_client
from tests.federation.helpers import Browser, register_through
from tests.oidc.helpers import authorize_url, exchange, pkce
from tests.support.forms import csrf_of


def upstream_signed_in(browser: Browser, upstream_url: str) -> bool:
    """The upstream's own "Mes services" opens in this browser."""
    return browser.http.get(upstream_url + "/", allow_redirects=False).status_code == 200


def kept_id_tokens(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(UpstreamSession))


def test_logout_ends_the_upstream_session_and_comes_back(app, upstream, browser, provider, citizen):
    """ "Se déconnecter": Compte logs out, sends the browser to the upstream's logout with
    id_token_hint, state and our post_logout_redirect_uri; the upstream logs out too and
    sends it back to our "Vous êtes déconnecté" page."""
    register_through(browser, provider, citizen)
    assert browser.signed_in() and upstream_signed_in(browser, upstream.url)
    assert kept_id_tokens(app) == 1
    home = browser.get("/")
    out = browser.post("/logout", {"csrf_token": csrf_of(home.text)})
    assert out.status_code == 302
    to_upstream = urlsplit(out.headers["Location"])
    assert f"{to_upstream.scheme}://{to_upstream.netloc}" == upstream.url
    query = parse_qs(to_upstream.query)
    assert query["post_logout_redirect_uri"] == [f"{browser.ours}/login/with/{provider}/logged-out"]
    assert query["id_token_hint"][0].count(".") == 2 and query["state"][0]
    assert not browser.signed_in()  # Compte's own logout is done already
    back = browser.follow(out)
    assert back.status_code == 302, back.text[:1000]
    assert back.headers["Location"].startswith(f"{browser.ours}/login/with/{provider}/logged-out")
    page = browser.follow(back)
    assert page.status_code == 200 and "Vous êtes déconnecté" in page.text
    assert not upstream_signed_in(browser, upstream.url)
    assert kept_id_tokens(app) == 0


def test_a_services_logout_goes_through_the_upstream_and_on_to_the_service(
    app, live_server, upstream, browser, provider, citizen
):
    """RP-initiated logout by a service: Compte, then the upstream, then the service's
    post_logout_redirect_uri with its state."""
    register_through(browser, provider, citizen)
    with app.app_context():
        client, secret = create_client(
            "Formadist",
            redirect_uris=["http://127.0.0.1:9/callback"],
            post_logout_redirect_uris=["http://127.0.0.1:9/bye"],
            first_party=True,
        )
        db.session.commit()
        rp = SimpleNamespace(
            client_id=client.client_id,
            client_secret=secret,
            redirect_uri="http://127.0.0.1:9/callback",
        )
    verifier, challenge = pkce()
    to_rp = browser.get(authorize_url(live_server, rp, challenge))  # signed in: a code at once
    code = parse_qs(urlsplit(to_rp.headers["Location"]).query)["code"][0]
    id_token = exchange(live_server, rp, code, verifier).json()["id_token"]
    asked = browser.get(
        "/oauth/logout",
        params={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": "http://127.0.0.1:9/bye",
            "state": "formadist-state",
        },
    )
    assert asked.status_code == 302, asked.text[:2000]
    assert asked.headers["Location"].startswith(upstream.url)
    back = browser.follow(asked)
    landing = browser.follow(back)
    assert landing.status_code == 302
    assert landing.headers["Location"] == "http://127.0.0.1:9/bye?state=formadist-state"
    assert not upstream_signed_in(browser, upstream.url)
