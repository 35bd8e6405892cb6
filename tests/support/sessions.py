"""A signed-in test client without going through the login page."""

from __future__ import annotations

import secrets
import time

from flask import Flask

from idp.accounts.models import Account, BrowserSession
from idp.core.extensions import db

# What a sign-in with a password and a second factor (an authenticator app) leaves.
TWO_FACTORS = ["pwd", "otp", "mfa"]


def sign_in(client, account_id: int, amr: list[str] | None = None) -> None:
    """Leave in `client` what a login leaves: the server-side browser session and the
    cookie Flask-Login stores after login_user(fresh=True) (the login page itself is
    tested in tests/accounts). `amr`: the methods of that login (a password alone by
    default; e.g. ["pwd", "otp", "mfa"] for a sign-in with two factors)."""
    sid = secrets.token_urlsafe(24)
    with client.application.app_context():
        session_id = db.session.get(Account, account_id).get_id()
        db.session.add(BrowserSession(sid=sid, account_id=account_id))
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
        session["sid"] = sid
        session["auth_time"] = int(time.time())
        session["amr"] = list(amr or ["pwd"])


def signed_in(app: Flask, account_id: int, amr: list[str] | None = None):
    """A new test client signed in as the account (with the methods `amr`)."""
    client = app.test_client()
    sign_in(client, account_id, amr)
    return client
