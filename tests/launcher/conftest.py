"""Helpers of the launcher tests: accounts, clients with entries, a logged-in browser."""

from __future__ import annotations

import re
import secrets
import time
import uuid

import pytest

from idp.accounts.services import create_account
from idp.core.extensions import db
from idp.launcher.services import set_entry

PASSWORD = "Lanceur-2026!"


@pytest.fixture
def settings(settings: dict) -> dict:
    """A support contact, so that the empty state can show it."""
    return {
        **settings,
        "SUPPORT_PHONE": "0 800 100 310",
        "SUPPORT_HOURS": "du lundi au vendredi, 8 h – 18 h 30",
        "SUPPORT_EMAIL": "support@compte.example",
    }


def make_account(app, email: str = "pierreivan@example.org", given_name: str = "Ivan"):
    """A confirmed account, committed."""
    with app.app_context():
        account = create_account(
            email=email,
            password=PASSWORD,
            given_name=given_name,
            family_name="Pierre",
            confirmed=True,
        )
        db.session.commit()
        return account.id


def make_service(app, name: str, url: str, **entry) -> str:
    """A registered OIDC client with its launcher entry; returns its client_id."""
    from idp.oidc.clients import create_client

    with app.app_context():
        client, _secret = create_client(
            name=name,
            redirect_uris=[url.rstrip("/") + "/callback"],
            first_party=True,
        )
        set_entry(client.client_id, name=name, url=url, **entry)
        db.session.commit()
        return client.client_id


def issue_token(app, account_id: int | None, client_id: str, scope: str) -> str:
    """An access token stored as the OIDC area stores them (only its hash)."""
    from idp.core.digest import secret_digest
    from idp.oidc.models import Token

    plain = secrets.token_urlsafe(32)
    with app.app_context():
        db.session.add(
            Token(
                client_id=client_id,
                account_id=account_id,
                access_token_hash=secret_digest(plain),
                family_id=str(uuid.uuid4()),
                scope=scope,
                issued_at=int(time.time()),
                expires_in=3600,
            )
        )
        db.session.commit()
    return plain


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def log_in(client, email: str = "pierreivan@example.org", password: str = PASSWORD):
    """Log in through the real login form; returns the final response (redirects followed)."""
    form = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={"identifier": email, "password": password, "csrf_token": csrf_token(form)},
        follow_redirects=True,
    )
