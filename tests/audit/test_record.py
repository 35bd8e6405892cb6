"""record() and record_now(): what an audit event holds (who, which client, from where)
and when it is kept (the caller's transaction, or at once)."""

from __future__ import annotations

from idp import audit
from idp.accounts.models import Account
from idp.audit import services
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from tests.support.accounts import make_account


def _all(app) -> list[dict]:
    with app.app_context():
        return [services.as_dict(e) for e in db.session.scalars(db.select(AuditEvent))]


def test_record_inside_a_request_keeps_the_address_and_browser(app):
    """An event recorded while serving a request carries its address and user agent (cut
    to 300 characters), the account, the actor, the client and the details."""
    person = make_account(app, "ivan@example.org")
    admin = make_account(app, "ada@example.org")
    agent = "Probe/1 " + "x" * 400
    environ = {"REMOTE_ADDR": "203.0.113.7"}
    with app.test_request_context(headers={"User-Agent": agent}, environ_base=environ):
        account = db.session.get(Account, person)
        audit.record("consent.granted", account=account, client_id="formadist", actor=admin, n=1)
        db.session.commit()
    [event] = _all(app)
    assert event["type"] == "consent.granted" and event["client_id"] == "formadist"
    assert event["account_id"] == person and event["actor_id"] == admin
    assert event["ip_address"] == "203.0.113.7"
    assert event["user_agent"] == agent[:300]
    assert event["details"] == {"n": 1}


def test_record_outside_a_request_has_no_address(app):
    """An event of a command or a background job has no address nor user agent; an
    account may be given by id."""
    person = make_account(app, "ivan@example.org")
    with app.app_context():
        audit.record("account.exported", account=person)
        db.session.commit()
    [event] = _all(app)
    assert event["account_id"] == person
    assert event["ip_address"] is None and event["user_agent"] is None


def test_record_belongs_to_the_callers_transaction(app):
    """record() is kept only if the caller commits: a rolled-back request leaves no event."""
    with app.app_context():
        audit.record("profile.updated")
        db.session.rollback()
    assert _all(app) == []


def test_record_now_is_kept_even_when_the_request_rolls_back(app):
    """record_now() commits at once, in a transaction of its own."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.2"}):
        audit.record("profile.updated")
        audit.record_now("ratelimit.storage_unavailable", reason="test")
        db.session.rollback()
    [event] = _all(app)
    assert event["type"] == "ratelimit.storage_unavailable"
    assert event["details"] == {"reason": "test"} and event["ip_address"] == "198.51.100.2"


def test_record_now_without_an_app_does_nothing(app):
    """Outside an application context record_now() neither fails nor records."""
    audit.record_now("ratelimit.storage_recovered")
    assert _all(app) == []


def test_recent_activity_and_export_read_one_persons_events(app, audit_history):
    """recent_for gives a person's latest events newest first (bounded); events_of all of
    them oldest first; neither shows another person's events."""
    with app.app_context():
        ivan = db.session.get(Account, audit_history["ivan"])
        recent = services.recent_for(ivan, limit=2)
        assert [e.type for e in recent] == ["login.succeeded", "consent.granted"]
        assert [e.type for e in services.events_of(ivan)] == [
            "login.failed",
            "consent.granted",
            "login.succeeded",
        ]
        assert {e.account_id for e in services.events_of(ivan)} == {ivan.id}
        exported = services.as_dict(recent[0], with_ids=False)
        assert "account_id" not in exported and "id" not in exported
        assert exported["time"].endswith("Z") and exported["type"] == "login.succeeded"
