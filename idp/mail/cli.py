"""`compte mail worker|list|send-again|purge`: the delivery worker as its own process, and
the outbox for operators (never a body: they hold live links)."""

from __future__ import annotations

import click

from idp.core.cli import AppContext, echo_json, pass_app
from idp.core.extensions import db
from idp.mail import outbox, worker
from idp.mail.models import OutboxMessage


@click.group("mail")
def mail_group() -> None:
    """Outgoing mail (the outbox)."""


@mail_group.command("worker")
@pass_app
def worker_command(ctx: AppContext) -> None:
    """Deliver the outbox until stopped (SIGTERM/Ctrl-C): run one or more beside the web
    servers when MAIL_WORKER is false."""

    worker.run_forever(ctx.app)


def _row(message) -> dict:
    return {
        "id": message.id,
        "status": message.status,
        "template": message.template,
        "subject": message.subject,
        "recipients": list(message.recipients),
        "created_at": message.created_at,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at if message.status == "pending" else None,
        "sent_at": message.sent_at,
        "dead_at": message.dead_at,
        "last_error": message.last_error,
    }


@mail_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]), default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_command(ctx: AppContext, status: str | None, limit: int, as_json: bool) -> None:
    """Messages of the outbox, newest first (envelope only)."""

    with ctx.app.app_context():
        query = db.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if status:
            query = query.where(OutboxMessage.status == status)
        rows = [_row(m) for m in db.session.scalars(query)]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        error = f"  ({row['last_error']})" if row["last_error"] else ""
        click.echo(
            f"{row['id']:>6}  {row['status']:<7} {row['attempts']:>2} tries  "
            f"{row['template']:<20} {', '.join(row['recipients'])}{error}"
        )
    if not rows:
        click.echo("No message.")


@mail_group.command("send-again")
@click.argument("message_id", type=int)
@pass_app
def send_again_command(ctx: AppContext, message_id: int) -> None:
    """Put a dead (or waiting) message back in the queue and try it now."""

    with ctx.app.app_context():
        message = outbox.send_again(message_id)
        if message is None:
            raise click.ClickException(
                f"Message {message_id} cannot be sent again (unknown, already sent, or purged)."
            )
        sent = outbox.deliver_now(message)
    click.echo(f"Message {message_id} " + ("sent." if sent else "queued again."))


@mail_group.command("purge")
@pass_app
def purge_command(ctx: AppContext) -> None:
    """Forget delivered messages and dead ones past their retention."""

    with ctx.app.app_context():
        counts = outbox.purge()
        db.session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


def register(main: click.Group) -> None:
    main.add_command(mail_group)
