"""The `audit_history` fixture (a pytest plugin loaded by tests/conftest.py): a small audit
log for the audit tests and the admin audit page tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from idp import audit
from idp.accounts.models import Account
from idp.accounts.services import create_account
from idp.core.clock import utcnow
from idp.core.extensions import db


@pytest.fixture
def audit_history(app) -> dict[str, int]:
    """A small history: two people, two clients, several types and dates (1 to 40 days
    old); returns the two account ids."""
    with app.app_context():
        ids = {}
        for key, email, given_name in (
            ("ivan", "ivan@exemple.fr", "Ivan"),
            ("lea", "lea@exemple.fr", "Léa"),
        ):
            account = create_account(
                email=email,
                password="Audit-Compte-2026!",
                given_name=given_name,
                family_name="Martin",
                confirmed=True,
                terms_version=app.config.get("TERMS_VERSION"),
            )
            db.session.flush()
            ids[key] = account.id
        now = utcnow()
        rows = [
            ("login.succeeded", ids["ivan"], None, now - timedelta(days=1)),
            ("login.failed", ids["ivan"], None, now - timedelta(days=10)),
            ("consent.granted", ids["ivan"], "formadist", now - timedelta(days=3)),
            ("token.revoked", ids["lea"], "cpf", now - timedelta(days=2)),
            ("login.succeeded", ids["lea"], None, now - timedelta(days=40)),
        ]
        for kind, account_id, client_id, when in rows:
            event = audit.record(
                kind, account=db.session.get(Account, account_id), client_id=client_id
            )
            event.created_at = when
        db.session.commit()
    return ids
