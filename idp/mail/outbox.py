"""The outbox: queue a mail (rendered, sealed, committed), deliver it later, retry with
back-off, give up into a dead letter that administrators can send again, purge.

A person's request only writes the outbox row: SMTP happens in the delivery worker
(idp/mail/worker.py), so a slow or silent mail server never slows a page, and the time of
an answer never tells whether a mail was sent (no account enumeration by timing).
Delivery is at least once: a worker takes a message with a lease (`claimed_until`); a
worker that dies mid-send leaves it to another one once the lease is over.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
from datetime import datetime, timedelta

from blinker import Namespace
from flask import (
    Flask,
    Response,
    after_this_request,
    current_app,
    has_request_context,
    render_template,
)
from jinja2 import TemplateNotFound

from idp.core import metrics
from idp.core.batches import batch_size, delete_where
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import SealError, seal, unseal
from idp.mail import smtp
from idp.mail.models import DEAD, PENDING, SENT, OutboxMessage

log = logging.getLogger(__name__)
# Sent (with the app) once a message is committed to the outbox: this process's delivery
# worker (idp/mail/worker.py) listens, to send it at once.
mail_queued = Namespace().signal("compte.mail-queued")


def prepare_mail(recipients: list[str], subject: str, template: str, **context) -> OutboxMessage:
    """Render `templates/mail/<template>.txt` (and `.html` when present) and seal the
    bodies into a message, not stored yet. (Also the way to spend the same time as a mail
    when nothing must be sent: see `send=False` in idp/accounts/mails.py.)"""
    text = render_template(f"mail/{template}.txt", **context)
    try:
        html = render_template(f"mail/{template}.html", **context)
    except TemplateNotFound:  # a mail without an HTML version is fine
        html = None
    return OutboxMessage(
        recipients=sorted(set(recipients)),
        subject=subject,
        template=template,
        sealed_body=seal(json.dumps({"text": text, "html": html})),
    )


def queue_mail(recipients: list[str], subject: str, template: str, **context) -> OutboxMessage:
    """Prepare the mail, store it and commit (with whatever the caller added to the
    session); the delivery worker sends it (woken at once in this process). Returns the
    queued message."""
    return queue_prepared(prepare_mail(recipients, subject, template, **context))


def queue_prepared(message: OutboxMessage) -> OutboxMessage:
    """Store a prepared message and commit; the worker is woken — in a request, once the
    response has been sent, so that delivery never slows (nor times) the answer."""
    db.session.add(message)
    db.session.commit()
    metrics.count_mail("queued")
    _wake_worker(current_app._get_current_object())
    return message


def _wake_worker(app: Flask) -> None:
    if not has_request_context():
        mail_queued.send(app)
        return

    @after_this_request
    def wake_after_the_answer(response: Response) -> Response:
        response.call_on_close(lambda: mail_queued.send(app))
        return response


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure (MAIL_RETRY_DELAYS, last repeats)."""
    delays = [float(d) for d in current_app.config["MAIL_RETRY_DELAYS"]] or [60.0]
    return delays[min(max(attempts, 1) - 1, len(delays) - 1)]


def _lease() -> timedelta:
    # An SMTP conversation is about six reads, each bounded by MAIL_TIMEOUT.
    return timedelta(seconds=6 * float(current_app.config["MAIL_TIMEOUT"]) + 30)


def _unclaimed(now: datetime):
    """No worker holds the message (never claimed, or its lease is over)."""
    return OutboxMessage.claimed_until.is_(None) | (OutboxMessage.claimed_until < now)


def claim(message_id: int, now: datetime | None = None) -> bool:
    """Take a pending message for one delivery attempt (atomic; commits)."""
    now = now or utcnow()
    taken = db.session.execute(
        db.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING, _unclaimed(now))
        .values(claimed_until=now + _lease())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return taken.rowcount == 1


def _give_up(message: OutboxMessage, reason: str) -> None:
    message.status = DEAD
    message.dead_at = utcnow()
    message.last_error = reason[:500]
    metrics.count_mail("dead")
    log.warning("mail %s given up after %s attempt(s): %s", message.id, message.attempts, reason)


def deliver(message: OutboxMessage) -> bool:
    """One SMTP attempt for a claimed message; records the outcome and commits. True when
    the server accepted it (its body is then removed)."""
    message.attempts += 1
    message.claimed_until = None
    try:
        body = json.loads(unseal(message.sealed_body or ""))
    except (SealError, ValueError):
        _give_up(
            message, "body cannot be opened: key-encryption key missing (see KEY_ENCRYPTION_KEY)"
        )
        db.session.commit()
        return False
    try:
        smtp.send_message(message.recipients, message.subject, body["text"], body.get("html"))
    except (OSError, smtplib.SMTPException) as error:
        reason = f"{type(error).__name__}: {error}"
        metrics.count_mail("failed")
        if smtp.is_permanent(error) or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            _give_up(message, reason)
        else:
            delay = retry_delay(message.attempts)
            message.next_attempt_at = utcnow() + timedelta(seconds=delay)
            message.last_error = reason[:500]
            log.warning(
                "mail %s not sent (attempt %s, next in %gs): %s",
                message.id,
                message.attempts,
                delay,
                type(error).__name__,
            )
        db.session.commit()
        return False
    message.status = SENT
    message.sent_at = utcnow()
    message.sealed_body = None  # the links it held are no longer kept anywhere
    message.last_error = None
    db.session.commit()
    metrics.count_mail("sent")
    return True


def deliver_due(limit: int = 50, now: datetime | None = None) -> int:
    """Deliver the pending messages whose time has come (oldest first), each claimed
    first so that several workers never send one twice. Returns how many were sent."""
    now = now or utcnow()
    due = db.session.scalars(
        db.select(OutboxMessage.id)
        .where(
            OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now, _unclaimed(now)
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()  # end the read transaction before the claims
    sent = 0
    for message_id in due:
        if not claim(message_id, now):
            continue  # another worker took it
        message = db.session.get(OutboxMessage, message_id)
        if message is not None and deliver(message):
            sent += 1
    return sent


def deliver_now(message: OutboxMessage) -> bool:
    """Deliver one queued message at once, outside any person's request (the CLI). True
    when the server took it; otherwise it stays queued for the workers."""
    if claim(message.id):
        return deliver(db.session.get(OutboxMessage, message.id))
    # A worker took it first: wait for the outcome of its attempt.
    deadline = time.monotonic() + _lease().total_seconds()
    while time.monotonic() < deadline:
        current = db.session.get(OutboxMessage, message.id, populate_existing=True)
        db.session.commit()
        if current is None or current.status != PENDING or current.claimed_until is None:
            return current is not None and current.status == SENT
        time.sleep(0.1)
    return False


def send_again(message_id: int) -> OutboxMessage | None:
    """An administrator's "Renvoyer": a dead (or waiting) message goes back to the queue,
    due now, with a fresh count of attempts. None when it cannot (unknown, sent, or its
    body was already purged). Commits."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status == SENT or not message.sealed_body:
        return None
    message.status = PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claimed_until = None
    message.dead_at = None
    db.session.commit()
    _wake_worker(current_app._get_current_object())
    return message


def purge(now: datetime | None = None) -> dict[str, int]:
    """Forget delivered messages after MAIL_SENT_RETENTION_DAYS and dead ones (their sealed
    bodies included) after MAIL_DEAD_RETENTION_DAYS, in batches (commits)."""
    now = now or utcnow()
    config = current_app.config
    sent_cutoff = now - timedelta(days=float(config["MAIL_SENT_RETENTION_DAYS"]))
    dead_cutoff = now - timedelta(days=float(config["MAIL_DEAD_RETENTION_DAYS"]))
    sent = (OutboxMessage.status == SENT) & (OutboxMessage.sent_at < sent_cutoff)
    dead = (OutboxMessage.status == DEAD) & (OutboxMessage.dead_at < dead_cutoff)
    return {
        "sent": delete_where(OutboxMessage, sent, batch_size()),
        "dead": delete_where(OutboxMessage, dead, batch_size()),
    }
