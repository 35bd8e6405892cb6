"""A signed-in test client without going through the login page."""

from __future__ import annotations

import time

from flask import Flask

from idp.accounts.models import Account
from idp.extensions import db


def signed_in(app: Flask, account_id: int):
    """A test client carrying the session Flask-Login stores after login_user(fresh=True)
    (the login page itself is tested in tests/accounts)."""
    with app.app_context():
        session_id = db.session.get(Account, account_id).get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
        session["auth_time"] = int(time.time())
        session["amr"] = ["pwd"]
    return client
