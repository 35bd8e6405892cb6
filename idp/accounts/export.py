"""Personal data export: everything Compte holds on a person, as JSON.

The account's own fields (never the password hash), its history tables, the audit
events about it, the invitations sent to its address, and — found through the schema,
so that tables added later are exported without changing this module — every other row
that points at the account. Columns that hold secrets or their hashes are left out.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app

from idp.accounts import signals
from idp.accounts.models import Account, PasswordHistory, TermsAcceptance
from idp.audit import services as audit_services
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.signals import answers

FORMAT = "compte.personal-data/1"

ACCOUNT_FIELDS = (
    "sub",
    "civility",
    "given_name",
    "family_name",
    "birth_name",
    "usual_name",
    "birthdate",
    "email",
    "email_confirmed_at",
    "secondary_email",
    "secondary_email_confirmed_at",
    "phone",
    "mobile",
    "nir",
    "address",
    "locale",
    "password_changed_at",
    "created_at",
    "last_login_at",
    "locked_at",
    "is_admin",
    "organizational_unit",
    "belonging_population",
    "terms_version",
    "terms_accepted_at",
)
# Tables exported explicitly above (or holding nothing personal beyond the link).
EXPLICIT_TABLES = {"account", "password_history", "terms_acceptance", "audit_event", "invitation"}
SECRET_MARKERS = ("hash", "secret", "password", "private", "jwk", "token")


def as_json_value(value: Any) -> Any:
    """`value` as the export writes it: dates in ISO 8601 (UTC times end with Z), bytes in
    base64url."""
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    if isinstance(value, bytes):  # a passkey's credential id and public key
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")
    return str(value)


def _is_secret(column: str) -> bool:
    return any(marker in column.lower() for marker in SECRET_MARKERS)


def _rows(table: sa.Table, where: Any) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if not _is_secret(c.name)]
    result = db.session.execute(sa.select(*columns).where(where))
    return [{k: as_json_value(v) for k, v in row._mapping.items()} for row in result]


def _linked_tables() -> list[tuple[sa.Table, sa.Column]]:
    """(table, column) pairs of every other table with a foreign key to account.id."""
    account_table = Account.__table__
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in EXPLICIT_TABLES:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is account_table:
                found.append((table, fk.parent))
    return found


def export_account(account: Account) -> dict[str, Any]:
    """The personal data of `account` as a JSON-ready dict."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": as_json_value(utcnow()),
        "issuer": current_app.config["ISSUER"],
        "account": {field: as_json_value(getattr(account, field)) for field in ACCOUNT_FIELDS},
    }
    data["password_history"] = [
        {"set_at": as_json_value(row.created_at)}
        for row in db.session.scalars(
            db.select(PasswordHistory)
            .where(PasswordHistory.account_id == account.id)
            .order_by(PasswordHistory.id)
        )
    ]
    data["terms_acceptances"] = [
        {"version": row.version, "accepted_at": as_json_value(row.accepted_at)}
        for row in db.session.scalars(
            db.select(TermsAcceptance)
            .where(TermsAcceptance.account_id == account.id)
            .order_by(TermsAcceptance.id)
        )
    ]
    data["activity"] = [
        audit_services.as_dict(event, with_ids=False) for event in audit_services.events_of(account)
    ]
    # The other areas' sections (invitations sent to the address…).
    for sections in answers(signals.account_exporting, account=account):
        data.update(sections)
    other: dict[str, list[dict[str, Any]]] = {}
    for table, column in _linked_tables():
        rows = _rows(table, column == account.id)
        if rows:
            other.setdefault(table.name, []).extend(rows)
    data["other"] = other
    return data


def download_response(account: Account) -> Response:
    """The export as a JSON file download (never cached)."""
    body = json.dumps(export_account(account), ensure_ascii=False, indent=2)
    filename = f"compte-donnees-{account.sub}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
