"""The invitations' part in account journeys, answered through idp/accounts/signals.py:
pre-filling the registration form, landing on the invited service once the address is
confirmed, and the invitations sent to a person's address in their export and deletion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import Flask

from idp.accounts import signals
from idp.accounts.export import as_json_value
from idp.accounts.models import Account
from idp.admin.invitations import landing_url_after_confirmation, prefill_from_request
from idp.admin.models import Invitation
from idp.core.extensions import db


def _prefill(app: Flask, *, args: Mapping[str, str]) -> dict[str, Any] | None:
    return prefill_from_request(args)


def _landing(app: Flask, *, account: Account, invitation_token: str | None) -> str | None:
    return landing_url_after_confirmation(account, invitation_token)


def _export(app: Flask, *, account: Account) -> dict[str, Any]:
    rows = db.session.scalars(
        db.select(Invitation)
        .where((Invitation.email == account.email) | (Invitation.account_id == account.id))
        .order_by(Invitation.id)
    )
    return {
        "invitations": [
            {
                "service": row.client_id,
                "created_at": as_json_value(row.created_at),
                "expires_at": as_json_value(row.expires_at),
                "accepted_at": as_json_value(row.accepted_at),
                "revoked_at": as_json_value(row.revoked_at),
            }
            for row in rows
        ]
    }


def _forget(app: Flask, *, account: Account) -> None:
    """Invitations addressed to the person hold personal data too."""
    addresses = [a for a in (account.email, account.secondary_email) if a]
    db.session.execute(sa.delete(Invitation).where(Invitation.email.in_(addresses)))


def init_app(app: Flask) -> None:
    signals.invitation_prefill.connect(_prefill, app)
    signals.landing_after_confirmation.connect(_landing, app)
    signals.account_exporting.connect(_export, app)
    signals.account_deleting.connect(_forget, app)
