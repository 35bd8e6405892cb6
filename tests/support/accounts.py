"""Account helpers shared by the login, password, profile, secondary e-mail, throttle,
fault and operations tests: accounts, forms, login, audit events."""

from __future__ import annotations

from idp.accounts.models import Account
from idp.accounts.services import create_account
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from tests.support.forms import csrf_of

PASSWORD = "Tournesol-2026"
NEW_PASSWORD = "Girasole#2027"


def make_account(app, email: str = "ivan@example.org", password: str = PASSWORD, **fields) -> int:
    """A confirmed account (unless confirmed=False); returns its id."""
    fields.setdefault("confirmed", True)
    with app.app_context():
        account = create_account(
            email=email, password=password, given_name="Ivan", family_name="Petrov", **fields
        )
        db.session.commit()
        return account.id


def account_by_email(app, email: str) -> Account | None:
    """A detached copy of the account with this primary address, or None."""
    with app.app_context():
        row = db.session.scalar(db.select(Account).where(Account.email == email))
        if row is not None:
            db.session.expunge(row)
        return row


def make_admin(app, email: str = "ada.admin@example.org", **fields) -> int:
    """A confirmed administrator account (password PASSWORD); returns its id."""
    account_id = make_account(app, email, **fields)
    with app.app_context():
        db.session.get(Account, account_id).is_admin = True
        db.session.commit()
    return account_id


def account(app, account_id: int) -> Account:
    """A detached fresh copy of the account row."""
    with app.app_context():
        row = db.session.get(Account, account_id)
        db.session.expunge(row)
        return row


def post_form(client, url: str, data: dict, *, page: str | None = None, **kwargs):
    """GET `page` (default `url`) for a CSRF token, then POST `data` to `url`."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_of(html), **data}, **kwargs)


def login(client, identifier: str, password: str, url: str = "/login", **extra):
    return post_form(client, url, {"identifier": identifier, "password": password, **extra})


def events(app, event_type: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.type == event_type).order_by(AuditEvent.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def text(response) -> str:
    return response.get_data(as_text=True)
