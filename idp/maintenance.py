"""Work done at start-up of `compte serve` and on a schedule (outbox, purges)."""

from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger(__name__)


def on_serve(app: Flask) -> None:
    """Start the background workers of a serving process: the outbox retries and the
    periodic purges (now, then every MAINTENANCE_INTERVAL seconds)."""
    from idp.mail.outbox import start_worker

    if app.config["MAIL_WORKER"]:
        start_worker(app)
    run_periodic_tasks(app)
    interval = app.config.get("MAINTENANCE_INTERVAL", 3600)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                run_periodic_tasks(app)
            except Exception:  # keep the schedule alive; the error is logged
                log.exception("periodic maintenance failed")

    threading.Thread(target=loop, name="compte-maintenance", daemon=True).start()


def run_periodic_tasks(app: Flask) -> None:
    """Purges and clean-ups: expired registrations, used links, captchas, old audit events."""
    with app.app_context():
        from idp.accounts import maintenance as accounts_maintenance
        from idp.audit import services as audit_services
        from idp.extensions import db
        from idp.oidc import maintenance as oidc_maintenance

        accounts_maintenance.run()
        oidc_maintenance.run()
        audit_services.prune()
        db.session.commit()
