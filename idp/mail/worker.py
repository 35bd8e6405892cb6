"""The delivery worker: sends the outbox outside people's requests.

Two ways to run it, which may run together (claims keep them from sending a mail twice):
- in every serving process (MAIL_WORKER = true, the default): a background thread started
  by the first request of the process (`compte serve`, each gunicorn worker, any WSGI
  server; see idp/maintenance.py) and woken at once when a mail is queued there;
- as its own process, `compte mail worker` (deployments that set MAIL_WORKER = false).
Either way it also wakes every MAIL_WORKER_INTERVAL seconds for retries and for mails
queued by other processes.
"""

from __future__ import annotations

import contextlib
import logging
import signal

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from idp.core import background
from idp.core.extensions import db
from idp.core.sql_errors import is_outage
from idp.mail.outbox import deliver_due, mail_queued

log = logging.getLogger(__name__)


class DeliveryWorker(background.Loop):
    """Outbox passes for one app in one process."""

    key = "compte.mail_worker"

    def __init__(self, app: Flask) -> None:
        super().__init__(app, interval=float(app.config["MAIL_WORKER_INTERVAL"]))

    def tick(self) -> None:
        self.run_once()

    def run_once(self) -> int:
        with self.app.app_context():
            try:
                return deliver_due()
            except Exception as error:  # keep delivering; the mail stays queued
                if is_outage(error):
                    log.warning("outbox pass skipped: database unavailable")
                else:
                    log.exception("outbox pass failed")
                with contextlib.suppress(SQLAlchemyError):
                    db.session.rollback()
                return 0
            finally:
                db.session.remove()


def ensure_started(app: Flask) -> DeliveryWorker | None:
    """This process's worker for `app`, started if MAIL_WORKER is on."""
    if not app.config["MAIL_WORKER"]:
        return None
    return background.ensure(app, DeliveryWorker.key, lambda: DeliveryWorker(app))


@mail_queued.connect
def wake(app: Flask, **_: object) -> None:
    """A mail was queued: deliver it now if this process delivers."""
    worker = ensure_started(app)
    if worker is not None:
        worker.wake()


def stop(app: Flask, timeout: float | None = None) -> None:
    """Stop this process's worker for `app`, if any (tests, the end of a CLI command)."""
    background.stop(app, DeliveryWorker.key, timeout)


def run_forever(app: Flask) -> None:
    """`compte mail worker`: passes until interrupted (SIGINT/SIGTERM end it cleanly)."""
    worker = DeliveryWorker(app)

    def ask_to_stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
        worker.ask_to_stop()

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)
    log.info("mail worker started (pid %s)", worker.pid)
    worker.run()
    log.info("mail worker stopped")
