"""The admin audit page: access, filters and pagination over HTTP; admin actions audited
with their address (the audit log itself, its labels and CLI: tests/audit)."""

from __future__ import annotations

from datetime import timedelta

from idp import audit
from idp.audit.models import AuditEvent
from idp.core.clock import utcnow
from idp.core.extensions import db


def _rows(html: str) -> list[str]:
    """The event types listed in the audit table, in order (each label links to its type)."""
    import re

    return re.findall(r'<a class="audit-type" href="[^"]*" title="([a-z_.]+)">', html)


def test_audit_page_refuses_non_admins(client, user_client):
    """Anonymous people go to login; ordinary accounts get 403."""
    assert "/login" in client.get("/admin/audit").headers["Location"]
    assert user_client.get("/admin/audit").status_code == 403


def test_filter_by_account_client_type_and_period(admin_client, audit_history):
    """Each filter narrows the list; they combine."""

    def get(**query):
        return _rows(admin_client.get("/admin/audit", query_string=query).get_data(as_text=True))

    assert get(account="ivan@exemple.fr") == ["login.succeeded", "consent.granted", "login.failed"]
    assert get(account="IVAN@exemple.fr ", type="login") == ["login.succeeded", "login.failed"]
    assert get(client_id="cpf") == ["token.revoked"]
    assert get(type="login.failed") == ["login.failed"]
    since = (utcnow() - timedelta(days=5)).date().isoformat()
    until = (utcnow() - timedelta(days=2)).date().isoformat()
    assert get(account="lea@exemple.fr", since=since) == ["token.revoked"]
    assert get(account="ivan@exemple.fr", since=since, until=until) == ["consent.granted"]
    assert get(account="nobody@exemple.fr") == []


def test_bad_dates_get_a_message_not_a_500(admin_client, audit_history):
    """An unreadable date is reported next to its field."""
    response = admin_client.get("/admin/audit", query_string={"since": "31/02/2026"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="since-error"' in html and 'aria-invalid="true"' in html
    assert _rows(html) == []


def test_pagination_keeps_filters(app, admin_client, audit_history):
    """Fifty events a page, newest first; the next-page link keeps the filters."""
    with app.app_context():
        for number in range(120):
            audit.record("admin.client.updated", client_id="formadist", n=number)
        db.session.commit()
    first = admin_client.get("/admin/audit", query_string={"type": "admin"}).get_data(as_text=True)
    assert len(_rows(first)) == 50 and "120 événements" in first
    assert "Page 1 sur 3" in first
    assert "type=admin" in first and "page=2" in first
    third = admin_client.get("/admin/audit", query_string={"type": "admin", "page": 3})
    assert len(_rows(third.get_data(as_text=True))) == 20
    beyond = admin_client.get("/admin/audit", query_string={"type": "admin", "page": 9})
    assert beyond.status_code == 200 and _rows(beyond.get_data(as_text=True)) == []


def test_events_record_ip_and_user_agent(app, admin_client, audit_history):
    """Events recorded during a request carry the IP address and the user agent."""
    admin_client.get(
        f"/admin/users/{audit_history['ivan']}/export", headers={"User-Agent": "Probe/1"}
    )
    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.type == "admin.user.exported")
        )
        assert event.ip_address == "127.0.0.1" and event.user_agent == "Probe/1"
        assert event.actor_id is not None and event.account_id == audit_history["ivan"]
