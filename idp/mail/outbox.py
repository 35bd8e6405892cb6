"""Queue a mail, send it, retry with back-off. Mail is never lost: the outbox row is
committed before any SMTP attempt."""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import timedelta

from flask import Flask, current_app, render_template
from flask_mail import Message

from idp.accounts.models import utcnow
from idp.extensions import db, mail
from idp.mail.models import OutboxMessage

log = logging.getLogger(__name__)

# Back-off between attempts, in seconds; the last value repeats.
BACKOFF = (10, 30, 60, 300, 900, 3600)
MAX_ATTEMPTS = 48


def queue_mail(recipients: list[str], subject: str, template: str, **context) -> OutboxMessage:
    """Render `templates/mail/<template>.txt` (and `.html` when present), store it, commit,
    then try to send it at once. Returns the message; `sent_at` is None when the SMTP
    server could not take it yet (it will be retried)."""
    text = render_template(f"mail/{template}.txt", **context)
    try:
        html = render_template(f"mail/{template}.html", **context)
    except Exception:  # noqa: BLE001 - a template without an HTML version is fine
        html = None
    message = OutboxMessage(
        recipients=sorted(set(recipients)), subject=subject, text_body=text, html_body=html
    )
    db.session.add(message)
    db.session.commit()
    send(message)
    return message


def send(message: OutboxMessage) -> bool:
    """One SMTP attempt; records the outcome. Returns True when the server accepted it."""
    message.attempts += 1
    try:
        mail.send(
            Message(
                subject=message.subject,
                recipients=list(message.recipients),
                body=message.text_body,
                html=message.html_body,
            )
        )
    except (OSError, smtplib.SMTPException) as error:
        delay = BACKOFF[min(message.attempts - 1, len(BACKOFF) - 1)]
        message.next_attempt_at = utcnow() + timedelta(seconds=delay)
        message.last_error = f"{type(error).__name__}: {error}"[:500]
        log.warning("mail %s not sent (attempt %s): %s", message.id, message.attempts, error)
        db.session.commit()
        return False
    message.sent_at = utcnow()
    message.last_error = None
    db.session.commit()
    return True


def deliver_pending(now=None) -> int:
    """Send every message whose retry time has come. Returns how many were sent."""
    now = now or utcnow()
    due = db.session.scalars(
        db.select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.attempts < MAX_ATTEMPTS,
        )
        .order_by(OutboxMessage.id)
        .limit(100)
    ).all()
    return sum(1 for message in due if send(message))


def start_worker(app: Flask) -> threading.Thread:
    """Retry the outbox in the background of `compte serve`."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(app.config["MAIL_WORKER_INTERVAL"]):
            with app.app_context():
                try:
                    deliver_pending()
                except Exception:  # keep the worker alive; the error is logged
                    log.exception("outbox pass failed")
                    db.session.rollback()

    thread = threading.Thread(target=loop, name="compte-outbox", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread


def is_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))
