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
import os
import threading
import weakref

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from idp.extensions import db
from idp.mail.outbox import deliver_due, mail_queued
from idp.outage import is_outage

log = logging.getLogger(__name__)
EXTENSION_KEY = "compte.mail_worker"
_start_lock = threading.Lock()
# Every worker started in this process (a process serving several apps: tests).
_started: weakref.WeakSet[DeliveryWorker] = weakref.WeakSet()


class DeliveryWorker:
    """A loop of outbox passes for one app in one process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

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

    def run(self) -> None:
        interval = float(self.app.config["MAIL_WORKER_INTERVAL"])
        while not self._stop.is_set():
            self._wake.clear()
            self.run_once()
            self._wake.wait(interval)

    def start(self) -> DeliveryWorker:
        self.thread = threading.Thread(target=self.run, name="compte-mail", daemon=True)
        self.thread.start()
        _started.add(self)
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the current pass, then end (waits at most `timeout` seconds)."""
        self._stop.set()
        self._wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive() and self.pid == os.getpid()


def ensure_started(app: Flask) -> DeliveryWorker | None:
    """This process's worker for `app`, started if MAIL_WORKER is on (a forked process
    starts its own: threads do not survive a fork)."""
    if not app.config["MAIL_WORKER"]:
        return None
    worker: DeliveryWorker | None = app.extensions.get(EXTENSION_KEY)
    if worker is not None and worker.alive:
        return worker
    with _start_lock:
        worker = app.extensions.get(EXTENSION_KEY)
        if worker is None or not worker.alive:
            worker = app.extensions[EXTENSION_KEY] = DeliveryWorker(app).start()
    return worker


@mail_queued.connect
def wake(app: Flask, **_: object) -> None:
    """A mail was queued: deliver it now if this process delivers."""
    worker = ensure_started(app)
    if worker is not None:
        worker.wake()


def stop(app: Flask, timeout: float | None = None) -> None:
    """Stop this process's worker for `app`, if any (tests, the end of a CLI command)."""
    worker: DeliveryWorker | None = app.extensions.pop(EXTENSION_KEY, None)
    if worker is not None and worker.pid == os.getpid():
        worker.stop(timeout)


def stop_all(timeout: float | None = None) -> None:
    """Stop every worker this process started, for every app."""
    for worker in list(_started):
        if worker.pid == os.getpid():
            worker.stop(timeout)
            worker.app.extensions.pop(EXTENSION_KEY, None)


def run_forever(app: Flask) -> None:
    """`compte mail worker`: passes until interrupted (SIGINT/SIGTERM end it cleanly)."""
    import signal

    worker = DeliveryWorker(app)

    def ask_to_stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
        worker._stop.set()
        worker.wake()

    signal.signal(signal.SIGTERM, ask_to_stop)
    signal.signal(signal.SIGINT, ask_to_stop)
    log.info("mail worker started (pid %s)", worker.pid)
    worker.run()
    log.info("mail worker stopped")
