"""Admin of accounts over HTTP: search, state, lock/unlock, mails, export, removal."""

from __future__ import annotations

import json

import pytest

from idp.accounts.models import Account
from idp.accounts.services import create_account
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from tests.admin.conftest import ADMIN_EMAIL, PASSWORD, csrf_token
from tests.support.mail import links_in, wait_for_mail

NIR = "255082A16802538"  # a valid Corsican NIR (key computed with 2A -> 19)


def _post(client, url: str, page_url: str, data: dict | None = None):
    """POST a form with the CSRF token scraped from the page that shows it."""
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def _events(app, event_type: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.type == event_type)))


@pytest.fixture
def settings(settings):
    # Flask-Mail suppresses sending when TESTING is on: these tests read the real sink.
    return {**settings, "MAIL_SUPPRESS_SEND": False}


@pytest.fixture
def ivan(app, make_account) -> int:
    account_id = make_account("ivan.pierre@exemple.fr", given_name="Ivan")
    with app.app_context():
        account = db.session.get(Account, account_id)
        account.nir = NIR
        db.session.commit()
    return account_id


def test_anonymous_is_sent_to_login(client):
    """The users pages require a login: anonymous people are redirected to /login."""
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_non_admin_is_refused(user_client, ivan):
    """An ordinary account gets 403 on every users page and action."""
    assert user_client.get("/admin/users").status_code == 403
    assert user_client.get(f"/admin/users/{ivan}").status_code == 403
    assert user_client.get(f"/admin/users/{ivan}/export").status_code == 403
    token = csrf_token(user_client.get("/").get_data(as_text=True))  # the logout form's
    response = user_client.post(f"/admin/users/{ivan}/lock", data={"csrf_token": token})
    assert response.status_code == 403


def test_search_by_name_email_and_nir(admin_client, ivan):
    """Search finds an account by a name, a part of its e-mail, or its NIR typed with spaces."""
    for query in ("pierre ivan", "Martin", "ivan.pierre@", "2 55 08 2a 168 025 38"):
        html = admin_client.get("/admin/users", query_string={"q": query}).get_data(as_text=True)
        assert "ivan.pierre@exemple.fr" in html, query
    html = admin_client.get("/admin/users", query_string={"q": "personne"}).get_data(as_text=True)
    assert "Aucun compte" in html
    # A LIKE wildcard is taken literally.
    html = admin_client.get("/admin/users", query_string={"q": "%"}).get_data(as_text=True)
    assert "ivan.pierre@exemple.fr" not in html


def test_account_page_shows_state_and_activity(app, admin_client, ivan, login):
    """The account page shows confirmation, lock, terms version and recent activity."""
    login(app.test_client(), "ivan.pierre@exemple.fr")
    html = admin_client.get(f"/admin/users/{ivan}").get_data(as_text=True)
    assert "ivan.pierre@exemple.fr" in html
    assert "confirmé le" in html
    assert "non verrouillé" in html
    assert app.config["TERMS_VERSION"] in html
    assert "login.succeeded" in html  # recent activity from the audit log
    assert admin_client.get("/admin/users/999999").status_code == 404


def test_lock_ends_sessions_then_unlock(app, admin_client, ivan, login):
    """Locking ends the person's sessions and refuses login; unlocking lets them back in."""
    person = login(app.test_client(), "ivan.pierre@exemple.fr")
    assert person.get("/account").status_code == 200
    page = f"/admin/users/{ivan}"
    response = _post(admin_client, f"/admin/users/{ivan}/lock", page)
    assert response.status_code == 302
    assert "verrouillé depuis" in admin_client.get(page).get_data(as_text=True)
    assert person.get("/account").status_code == 302  # session ended
    with app.app_context():
        account = db.session.get(Account, ivan)
        assert account.locked_at is not None
    locked = _events(app, "admin.user.locked")
    assert len(locked) == 1 and locked[0].account_id == ivan and locked[0].actor_id is not None

    _post(admin_client, f"/admin/users/{ivan}/unlock", page)
    with app.app_context():
        assert db.session.get(Account, ivan).locked_at is None
    assert _events(app, "admin.user.unlocked")
    login(app.test_client(), "ivan.pierre@exemple.fr")


def test_lock_needs_csrf_and_not_self(app, admin_client, admin_id, ivan):
    """A lock without CSRF token is refused; an admin cannot lock their own account."""
    assert admin_client.post(f"/admin/users/{ivan}/lock").status_code == 400
    response = _post(admin_client, f"/admin/users/{admin_id}/lock", f"/admin/users/{admin_id}")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Account, admin_id).locked_at is None
        assert db.session.get(Account, ivan).locked_at is None


def test_resend_confirmation_mails_the_person(app, admin_client, smtp_sink):
    """Re-sending the confirmation mails a working link to an unconfirmed account."""
    with app.app_context():
        account = create_account(
            email="pending@exemple.fr", password=PASSWORD, given_name="Léa", family_name="Roy"
        )
        db.session.commit()
        pending = account.id
    page = f"/admin/users/{pending}"
    assert "Renvoyer le courriel de confirmation" in admin_client.get(page).get_data(as_text=True)
    response = _post(admin_client, f"/admin/users/{pending}/resend-confirmation", page)
    assert response.status_code == 302
    mail = wait_for_mail(smtp_sink, "pending@exemple.fr")
    assert "Léa" in mail.text
    assert any("/register/confirm/" in link for link in links_in(mail))
    assert _events(app, "admin.user.confirmation_resent")


def test_send_password_reset(app, admin_client, ivan, smtp_sink):
    """The admin sends a password-reset link; the person receives it."""
    response = _post(admin_client, f"/admin/users/{ivan}/send-reset", f"/admin/users/{ivan}")
    assert response.status_code == 302
    mail = wait_for_mail(smtp_sink, "ivan.pierre@exemple.fr")
    assert any("/password/reset/" in link for link in links_in(mail))
    assert _events(app, "admin.user.reset_sent")


def test_export_is_a_json_download_without_secrets(app, admin_client, ivan):
    """The export is a JSON attachment with the account's data, never the password hash."""
    response = admin_client.get(f"/admin/users/{ivan}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "ivan.pierre@exemple.fr"
    assert data["account"]["nir"] == NIR
    assert data["password_history"] and "password_hash" not in json.dumps(data)
    assert "$2b$" not in response.get_data(as_text=True)
    assert _events(app, "admin.user.exported")


def test_delete_requires_export_then_removes_the_account(app, admin_client, ivan, login):
    """Removal asks for the export first, then deletes the account and ends its sessions."""
    person = login(app.test_client(), "ivan.pierre@exemple.fr")
    with app.app_context():
        his_events = set(
            db.session.scalars(db.select(AuditEvent.id).where(AuditEvent.account_id == ivan))
        )
    assert his_events
    url = f"/admin/users/{ivan}/delete"
    response = _post(admin_client, url, url, {"confirm": "y"})
    assert response.status_code == 200
    assert "Téléchargez d'abord l'export" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, ivan) is not None

    assert admin_client.get(f"/admin/users/{ivan}/export").status_code == 200
    response = _post(admin_client, url, url, {})  # confirmation box not ticked
    assert "Cochez la case" in response.get_data(as_text=True)
    response = _post(admin_client, url, url, {"confirm": "y"})
    assert response.status_code == 302
    assert "a été supprimé" in admin_client.get("/admin/users").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, ivan) is None
        assert (
            db.session.scalar(db.select(Account).where(Account.email == "ivan.pierre@exemple.fr"))
            is None
        )
    deleted = _events(app, "account.deleted")
    assert len(deleted) == 1 and deleted[0].details["by"] == "admin"
    # The person's earlier events are kept, detached from the removed account.
    with app.app_context():
        kept = db.session.scalars(db.select(AuditEvent).where(AuditEvent.id.in_(his_events)))
        assert {e.id for e in kept if e.account_id is None} == his_events
    assert person.get("/account").status_code == 302


def test_admin_cannot_delete_own_account_here(app, admin_client, admin_id):
    """The admin page refuses to remove the admin's own account."""
    admin_client.get(f"/admin/users/{admin_id}/export")
    url = f"/admin/users/{admin_id}/delete"
    _post(admin_client, url, f"/admin/users/{admin_id}", {"confirm": "y"})
    with app.app_context():
        assert db.session.get(Account, admin_id) is not None
        assert (
            db.session.scalar(db.select(Account.email).where(Account.id == admin_id)) == ADMIN_EMAIL
        )
