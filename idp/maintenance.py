"""Background work of a serving process: mail delivery and the periodic purges.

Every serving process — `compte serve`, each gunicorn worker, any WSGI server — starts
both with its first request (threads do not survive a fork, so a forked worker starts its
own). The purges are idempotent, so several processes may run them; each waits a random
part of MAINTENANCE_INTERVAL first, so that instances started together do not purge
together.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import weakref

from flask import Flask

from idp.mail import worker as mail_worker

log = logging.getLogger(__name__)
EXTENSION_KEY = "compte.maintenance"
_start_lock = threading.Lock()
_schedulers: weakref.WeakSet[Scheduler] = weakref.WeakSet()


def run_periodic_tasks(app: Flask) -> None:
    """Purges and clean-ups: expired registrations, used links, captchas, old audit events,
    expired codes, tokens and sessions, delivered and dead mail."""
    with app.app_context():
        from idp.accounts import maintenance as accounts_maintenance
        from idp.audit import services as audit_services
        from idp.extensions import db
        from idp.mail import outbox
        from idp.oidc import maintenance as oidc_maintenance

        accounts_maintenance.run()
        oidc_maintenance.run()
        audit_services.prune()
        log.info("mail purge: %s", outbox.purge())
        db.session.commit()


class Scheduler:
    """Runs the purges every MAINTENANCE_INTERVAL seconds in this process."""

    def __init__(self, app: Flask, first_delay: float) -> None:
        self.app = app
        self.pid = os.getpid()
        self.first_delay = first_delay
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="compte-maintenance", daemon=True)

    def _loop(self) -> None:
        interval = float(self.app.config["MAINTENANCE_INTERVAL"])
        delay = self.first_delay
        while not self.stop_event.wait(delay):
            try:
                run_periodic_tasks(self.app)
            except Exception:  # keep the schedule alive; the error is logged
                log.exception("periodic maintenance failed")
            delay = interval

    @property
    def alive(self) -> bool:
        return self.thread.is_alive() and self.pid == os.getpid()


def ensure_scheduler(app: Flask, first_delay: float | None = None) -> Scheduler | None:
    """This process's scheduler for `app` (none when MAINTENANCE_INTERVAL is 0)."""
    interval = float(app.config["MAINTENANCE_INTERVAL"])
    if interval <= 0:
        return None
    scheduler: Scheduler | None = app.extensions.get(EXTENSION_KEY)
    if scheduler is not None and scheduler.alive:
        return scheduler
    with _start_lock:
        scheduler = app.extensions.get(EXTENSION_KEY)
        if scheduler is None or not scheduler.alive:
            delay = random.uniform(0.05, 1.0) * interval if first_delay is None else first_delay
            scheduler = app.extensions[EXTENSION_KEY] = Scheduler(app, delay)
            scheduler.thread.start()
            _schedulers.add(scheduler)
    return scheduler


def start_background(app: Flask) -> None:
    """Mail delivery and purges for this process (each as configured)."""
    mail_worker.ensure_started(app)
    ensure_scheduler(app)


def stop_background(app: Flask, timeout: float | None = None) -> None:
    """Stop this process's background work for `app` (tests, end of a command)."""
    mail_worker.stop(app, timeout)
    scheduler: Scheduler | None = app.extensions.pop(EXTENSION_KEY, None)
    if scheduler is not None and scheduler.pid == os.getpid():
        scheduler.stop_event.set()
        scheduler.thread.join(timeout)


def stop_all_background(timeout: float | None = None) -> None:
    """Stop the background work of every app of this process (tests)."""
    mail_worker.stop_all(timeout)
    for scheduler in list(_schedulers):
        if scheduler.pid == os.getpid():
            scheduler.stop_event.set()
            scheduler.thread.join(timeout)
            scheduler.app.extensions.pop(EXTENSION_KEY, None)


def on_serve(app: Flask) -> None:
    """`compte serve`: purge now, then deliver and purge in the background."""
    try:
        run_periodic_tasks(app)
    except Exception:  # a database not reachable yet must not stop the server
        log.exception("start-up maintenance failed")
    mail_worker.ensure_started(app)
    ensure_scheduler(app, first_delay=float(app.config["MAINTENANCE_INTERVAL"]))


def init_app(app: Flask) -> None:
    @app.before_request
    def start_background_work() -> None:
        start_background(app)
