"""Work done at start-up of `compte serve` and on a schedule (outbox, purges)."""

from __future__ import annotations

from flask import Flask


def on_serve(app: Flask) -> None:
    """Start the background workers of a serving process."""
    from idp.mail.outbox import start_worker

    if app.config["MAIL_WORKER"]:
        start_worker(app)
    run_periodic_tasks(app)


def run_periodic_tasks(app: Flask) -> None:
    """Purges and clean-ups; each area adds its own here."""
    with app.app_context():
        from idp.accounts import maintenance as accounts_maintenance

        accounts_maintenance.run()
