"""`compte audit prune`: remove events older than AUDIT_RETENTION_DAYS."""

from __future__ import annotations

import click

from idp.audit import services
from idp.core.cli import AppContext, echo_json, pass_app
from idp.core.extensions import db


@click.group()
def audit() -> None:
    """Audit log."""


@audit.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Override the retention.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def prune(ctx: AppContext, days: int | None, as_json: bool) -> None:
    """Delete audit events older than the retention (AUDIT_RETENTION_DAYS)."""

    with ctx.app.app_context():
        days = days or services.retention_days()
        removed = services.prune(days)
        db.session.commit()
    if as_json:
        echo_json({"removed": removed, "retention_days": days})
    else:
        click.echo(f"{removed} audit event(s) older than {days} days removed.")


def register(main: click.Group) -> None:
    main.add_command(audit)
