"""Passkey steps over a Flask test client, shared by the passkey tests: register one on
the Sécurité page, sign in without password, answer the second step."""

from __future__ import annotations

import time

from idp.accounts import second_factor
from idp.accounts.models import Account
from idp.core.extensions import db
from tests.support.forms import csrf_of
from tests.support.passkeys import SoftAuthenticator, csrf_headers


def token(client, page: str = "/login") -> str:
    return csrf_of(client.get(page).get_data(as_text=True))


def post_json(client, url: str, csrf: str, body: dict | None = None):
    return client.post(url, json=body or {}, headers=csrf_headers(csrf))


def register(client, authenticator: SoftAuthenticator, name: str = "", next_url: str = ""):
    """Add a passkey from the Sécurité page of the signed-in `client`; the verify answer."""
    query = f"?next={next_url}" if next_url else ""
    csrf = token(client, "/account/security")
    options = post_json(client, "/account/security/passkeys/options" + query, csrf).get_json()
    answer = authenticator.create(options["publicKey"])
    return post_json(
        client,
        "/account/security/passkeys" + query,
        csrf,
        {"name": name, "credential": answer},
    )


def login_options(client, csrf: str) -> dict:
    return post_json(client, "/login/passkey/options", csrf).get_json()["publicKey"]


def passwordless(client, authenticator: SoftAuthenticator, next_url: str = "", **tweaks):
    """Sign in with the login page's button; the verify answer."""
    csrf = token(client)
    options = login_options(client, csrf)
    query = f"?next={next_url}" if next_url else ""
    return post_json(
        client, "/login/passkey" + query, csrf, {"credential": authenticator.get(options, **tweaks)}
    )


def begin_second_step(client, app, account_id: int, step_up: bool = False) -> None:
    """Leave in `client` the pending sign-in that a right password leaves
    (idp/accounts/second_factor.begin), as its session holds it."""
    with app.app_context():
        epoch = db.session.get(Account, account_id).session_epoch
    with client.session_transaction() as session:
        session[second_factor.PENDING_KEY] = {
            "account": account_id,
            "epoch": epoch,
            "amr": ["pwd"],
            "next": None,
            "step_up": step_up,
            "at": int(time.time()),
        }


def second_step(client, authenticator: SoftAuthenticator, **tweaks):
    csrf = token(client, "/login?reauth=1")  # a page with a token, signed in or not
    options = post_json(client, "/login/verify/passkey/options", csrf).get_json()["publicKey"]
    return post_json(
        client, "/login/verify/passkey", csrf, {"credential": authenticator.get(options, **tweaks)}
    )
