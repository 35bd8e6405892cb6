"""Background work of a serving process: mail delivery and the periodic purges.

Every serving process — `compte serve`, each gunicorn worker, any WSGI server — starts
both with its first request (threads do not survive a fork, so a forked worker starts its
own). The purges are idempotent, so several processes may run them; each waits a random
part of MAINTENANCE_INTERVAL first, so that instances started together do not purge
together.
"""

from __future__ import annotations

import logging
import random

from flask import Flask

from idp.accounts import maintenance as accounts_maintenance
from idp.audit import services as audit_services
from idp.core import background
from idp.core.extensions import db
from idp.mail import outbox
from idp.mail import worker as mail_worker
from idp.oidc import maintenance as oidc_maintenance

log = logging.getLogger(__name__)


def run_periodic_tasks(app: Flask) -> None:
    """Purges and clean-ups: expired registrations, used links, captchas, old audit events,
    expired codes, tokens and sessions, delivered and dead mail."""
    with app.app_context():
        accounts_maintenance.run()
        oidc_maintenance.run()
        audit_services.prune()
        log.info("mail purge: %s", outbox.purge())
        db.session.commit()


class Scheduler(background.Loop):
    """Runs the purges every MAINTENANCE_INTERVAL seconds in this process."""

    key = "compte.maintenance"

    def tick(self) -> None:
        run_periodic_tasks(self.app)


def ensure_scheduler(app: Flask, first_delay: float | None = None) -> Scheduler | None:
    """This process's scheduler for `app` (none when MAINTENANCE_INTERVAL is 0)."""
    interval = float(app.config["MAINTENANCE_INTERVAL"])
    if interval <= 0:
        return None

    def make() -> Scheduler:
        delay = random.uniform(0.05, 1.0) * interval if first_delay is None else first_delay
        return Scheduler(app, interval, delay)

    return background.ensure(app, Scheduler.key, make)


def start_background(app: Flask) -> None:
    """Mail delivery and purges for this process (each as configured)."""
    mail_worker.ensure_started(app)
    ensure_scheduler(app)


def stop_background(app: Flask, timeout: float | None = None) -> None:
    """Stop this process's background work for `app` (tests, end of a command)."""
    mail_worker.stop(app, timeout)
    background.stop(app, Scheduler.key, timeout)


def stop_all_background(timeout: float | None = None) -> None:
    """Stop the background work of every app of this process (tests)."""
    background.stop_all(timeout)


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
