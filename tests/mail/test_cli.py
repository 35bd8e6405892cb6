"""`compte mail …`: the delivery worker as its own process, and the outbox for operators."""

from __future__ import annotations

import json
import signal
import subprocess

from click.testing import CliRunner

from idp.cli import main
from idp.core.cli import AppContext
from idp.maintenance import stop_background
from tests.support.mail import wait_for_mail
from tests.support.processes import BIN, compte_env


def _cli(app, *args: str):
    context = AppContext()
    context._app = app
    return CliRunner().invoke(main, list(args), obj=context)


def test_mail_worker_process_delivers_what_web_processes_queued(
    app, settings, queue, smtp_sink, tmp_path
):
    """With MAIL_WORKER = false in the web processes, `compte mail worker` delivers the
    outbox, and stops cleanly on SIGTERM."""
    stop_background(app)
    app.config["MAIL_WORKER"] = False
    queue("ivan@example.fr")
    worker = subprocess.Popen(
        [BIN / "compte", "mail", "worker"],
        env=compte_env(settings, COMPTE_MAIL_WORKER_INTERVAL="0.2"),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_mail(smtp_sink, "ivan@example.fr", timeout=30)
        queue("marie@example.fr")
        wait_for_mail(smtp_sink, "marie@example.fr", timeout=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=30)
    assert worker.returncode == 0, errors[-2000:]


def test_list_send_again_and_purge(app, queue, smtp_sink):
    """`compte mail list` shows envelopes only (never a link); `send-again` takes a dead
    letter back and sends it; `purge` answers with its counts."""
    stop_background(app)
    app.config["MAIL_WORKER"] = False
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    smtp_sink.stop()
    message_id = queue("ivan@example.fr", link="https://x/password/reset/SECRET")
    with app.app_context():
        from idp.mail.outbox import deliver_due

        deliver_due()
    listing = _cli(app, "mail", "list", "--status", "dead", "--json")
    assert listing.exit_code == 0, listing.output
    (row,) = json.loads(listing.output)
    assert row["id"] == message_id and row["recipients"] == ["ivan@example.fr"]
    assert row["template"] == "password_reset" and "SECRET" not in listing.output
    smtp_sink.start()
    again = _cli(app, "mail", "send-again", str(message_id))
    assert again.exit_code == 0 and "sent" in again.output, again.output
    wait_for_mail(smtp_sink, "ivan@example.fr")
    assert "sent" in _cli(app, "mail", "list").output
    assert _cli(app, "mail", "send-again", str(message_id)).exit_code != 0
    assert _cli(app, "mail", "purge").output.strip() == "sent: 0, dead: 0"
