"""Fixtures of the administration tests: accounts, a logged-in admin browser (the CLI
fixture `cli` is in tests/conftest.py).

`admin_client` is shared with the users/invitations/audit tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from idp.accounts.services import create_account
from idp.core.extensions import db
from tests.support.sessions import TWO_FACTORS, signed_in

PASSWORD = "Admin-Compte-2026!"
ADMIN_EMAIL = "admin@compte.example"
CSRF_PATTERNS = (
    re.compile(r'name="csrf_token"[^>]*value="([^"]+)"'),
    re.compile(r'value="([^"]+)"[^>]*name="csrf_token"'),
)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    for pattern in CSRF_PATTERNS:
        if match := pattern.search(html):
            return match.group(1)
    raise AssertionError("no csrf_token in the page")


@pytest.fixture
def make_account(app) -> Callable[..., int]:
    """Create a confirmed account (terms accepted); returns its id."""

    def make(email: str, *, admin: bool = False, given_name: str = "Alex") -> int:
        with app.app_context():
            account = create_account(
                email=email,
                password=PASSWORD,
                given_name=given_name,
                family_name="Martin",
                confirmed=True,
                terms_version=app.config.get("TERMS_VERSION"),
            )
            account.is_admin = admin
            db.session.commit()
            return account.id

    return make


@pytest.fixture
def login(app) -> Callable:
    """Log a test client in through the real login form (identifier, password, csrf_token)."""

    def do_login(client, email: str, password: str = PASSWORD):
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "identifier": email,
                "password": password,
                "csrf_token": csrf_token(page.get_data(as_text=True)),
            },
        )
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
        return client

    return do_login


@pytest.fixture
def admin_id(make_account) -> int:
    return make_account(ADMIN_EMAIL, admin=True, given_name="Ada")


def session_for(app, account_id: int, amr: list[str] | None = None):
    """A test client whose session is that of `account_id` (see tests/support/sessions.py)."""
    return signed_in(app, account_id, amr)


@pytest.fixture
def admin_client(app, admin_id):
    """A test client logged in as an administrator, with two factors (ADMIN_REQUIRE_MFA)."""
    return session_for(app, admin_id, TWO_FACTORS)


@pytest.fixture
def user_client(app, make_account):
    """A test client logged in as an ordinary (non-admin) account."""
    return session_for(app, make_account("agent@compte.example"))
