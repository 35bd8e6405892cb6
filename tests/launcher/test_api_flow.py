"""The launcher API with a token obtained through the real OpenID Connect flow over HTTP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from idp.core.extensions import db
from idp.launcher.services import set_entry
from tests.launcher.conftest import PASSWORD, make_account, make_service

REDIRECT_URI = "http://127.0.0.1:5001/callback"


def follow_until_callback(browser: requests.Session, url: str) -> str:
    """Follow Compte's redirects (logging in on the way) until the RP's callback URL."""
    for _ in range(10):
        if url.startswith(REDIRECT_URI):
            return url
        response = browser.get(url, allow_redirects=False)
        if response.status_code in (301, 302, 303, 307, 308):
            url = urljoin(url, response.headers["Location"])
            continue
        assert response.status_code == 200, (url, response.status_code)
        html = response.text
        assert 'name="password"' in html, f"unexpected page at {url}"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        response = browser.post(
            url,
            data={
                "identifier": "pierreivan@example.org",
                "password": PASSWORD,
                "csrf_token": token,
            },
            allow_redirects=False,
        )
        assert response.status_code in (302, 303), response.text[:500]
        url = urljoin(url, response.headers["Location"])
    raise AssertionError("never reached the callback")


def test_api_with_a_token_from_the_code_flow(app, live_server):
    """Code flow + PKCE with scope `launcher`: the API lists entries, this client current."""
    from idp.oidc.clients import create_client

    make_account(app)
    other = make_service(app, "Mon compte formation", "http://127.0.0.1:5002/", position=2)
    with app.app_context():
        client, secret = create_client(
            name="Formadist",
            redirect_uris=[REDIRECT_URI],
            scopes=("openid", "profile", "launcher"),
            first_party=True,
        )
        client_id = client.client_id
        set_entry(client_id, name="Formadist", url="http://127.0.0.1:5001/", position=1)
        db.session.commit()

    metadata = requests.get(f"{live_server}/.well-known/openid-configuration", timeout=5).json()
    rp = OAuth2Session(
        client_id,
        secret,
        scope="openid profile launcher",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    authorize_url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(16)
    )
    callback = follow_until_callback(requests.Session(), authorize_url)
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token = rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )

    response = requests.get(
        f"{live_server}/launcher/api/entries",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=5,
    )
    assert response.status_code == 200
    entries = response.json()["entries"]
    assert [(e["client_id"], e["current"]) for e in entries] == [
        (client_id, True),
        (other, False),
    ]
    assert response.json()["account"]["given_name"] == "Ivan"
