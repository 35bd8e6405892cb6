"""The outbox: sealed until delivered, then forgotten; retried, given up into a dead
letter that can be sent again; claimed so that several workers never send one twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from idp import create_app
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.mail import outbox
from idp.mail.models import OutboxMessage
from idp.mail.worker import DeliveryWorker
from idp.maintenance import stop_background
from tests.support.mail import links_in, mails_to, wait_for_mail
from tests.support.servers import free_port, wait_until


def _row(app, message_id: int) -> OutboxMessage:
    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        db.session.expunge(row)
        return row


def test_a_queued_mail_is_sealed_then_delivered_and_its_body_forgotten(app, queue, smtp_sink):
    """The worker delivers the mail at once; the link travels in the mail only: once
    delivered, the database keeps the envelope, not the body."""
    message_id = queue("ivan@example.fr", link="https://x/password/reset/SECRET")
    mail = wait_for_mail(smtp_sink, "ivan@example.fr")
    assert "https://x/password/reset/SECRET" in links_in(mail)
    sent = wait_until(lambda: (row := _row(app, message_id)).status == "sent" and row)
    assert sent.sealed_body is None and sent.sent_at is not None and sent.attempts == 1


def test_given_up_after_the_last_attempt_then_sent_again(app, queue, smtp_sink):
    """SMTP down for every attempt: the message becomes a dead letter with its error; sent
    again once the server is back, it arrives."""
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    smtp_sink.stop()
    message_id = queue("ivan@example.fr")
    dead = wait_until(lambda: (row := _row(app, message_id)).status == "dead" and row)
    assert dead.attempts == 2 and "ConnectionRefused" in dead.last_error
    assert dead.sealed_body  # kept for "Renvoyer"
    smtp_sink.start()
    with app.app_context(), app.test_request_context():
        assert outbox.send_again(message_id) is not None
    wait_for_mail(smtp_sink, "ivan@example.fr")
    assert wait_until(lambda: _row(app, message_id).status == "sent")


class _RefusingHandler:
    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        return "550 5.1.1 Mailbox unavailable"


@pytest.fixture
def refusing_smtp(settings):
    """An SMTP server that refuses every recipient for good (5xx)."""
    controller = Controller(_RefusingHandler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    settings["MAIL_PORT"] = controller.port
    yield controller
    controller.stop()


def test_a_permanent_refusal_is_given_up_at_once(refusing_smtp, app, queue):
    """A recipient refused with a 5xx code is not retried for a day: dead after one try."""
    message_id = queue("nobody@example.fr")
    dead = wait_until(lambda: (row := _row(app, message_id)).status == "dead" and row)
    assert dead.attempts == 1 and "550" in dead.last_error


def test_two_instances_never_send_a_mail_twice(app, settings, queue, smtp_sink, tmp_path):
    """Two delivery workers of two instances on one database race over 30 mails: each
    mail is sent exactly once."""
    stop_background(app)
    app.config["MAIL_WORKER"] = False
    for number in range(30):
        queue(f"p{number}@example.fr")
    other = create_app(
        {**settings, "MAIL_WORKER": False}, instance_path=str(tmp_path / "instance-b")
    )
    workers = [DeliveryWorker(app), DeliveryWorker(other), DeliveryWorker(app)]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    wait_until(lambda: len(smtp_sink.messages()) >= 30)
    for number in range(30):
        assert len(mails_to(smtp_sink, f"p{number}@example.fr")) == 1
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_claim_held_by_a_lost_worker_expires(app, queue, smtp_sink):
    """A message claimed by a worker that died is left alone while the lease runs, then
    delivered by another worker."""
    stop_background(app)
    app.config["MAIL_WORKER"] = False
    message_id = queue("ivan@example.fr")
    with app.app_context():
        assert outbox.claim(message_id)  # the lost worker
        assert outbox.deliver_due() == 0
        row = db.session.get(OutboxMessage, message_id)
        row.claimed_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert outbox.deliver_due() == 1
    wait_for_mail(smtp_sink, "ivan@example.fr")


def test_purge_forgets_old_envelopes_and_dead_letters(app, queue, smtp_sink):
    """Delivered envelopes and dead letters go after their retention; recent ones stay."""
    stop_background(app)
    app.config["MAIL_WORKER"] = False
    ids = [queue(f"p{n}@example.fr") for n in range(4)]
    now = utcnow()
    with app.app_context():
        rows = [db.session.get(OutboxMessage, i) for i in ids]
        rows[0].status, rows[0].sent_at = "sent", now - timedelta(days=8)
        rows[1].status, rows[1].sent_at = "sent", now - timedelta(days=1)
        rows[2].status, rows[2].dead_at = "dead", now - timedelta(days=31)
        rows[3].status, rows[3].dead_at = "dead", now - timedelta(days=2)
        db.session.commit()
        assert outbox.purge() == {"sent": 1, "dead": 1}
        db.session.commit()
        left = set(db.session.scalars(db.select(OutboxMessage.id)))
    assert left == {ids[1], ids[3]}
