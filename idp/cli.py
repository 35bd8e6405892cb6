"""The `compte` command: its own commands (serve, run, db, mailsink), then each area's, added
from the area's `cli.py` (register())."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask
from werkzeug.serving import run_simple

from idp import create_app, maintenance, serving
from idp.accounts import cli as accounts_cli
from idp.admin import cli as admin_cli
from idp.audit import cli as audit_cli
from idp.core import settings_cli
from idp.core.cli import AppContext, pass_app
from idp.core.request_log import RedactingRequestHandler
from idp.federation import cli as federation_cli
from idp.mail import cli as mail_cli
from idp.mail.sink import MailSink
from idp.oidc import cli as oidc_cli
from idp.organizations import cli as organizations_cli


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compte: one account, one password, every service."""
    if ctx.obj is None:
        ctx.obj = AppContext(create_app)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_app
def serve(ctx: AppContext, host: str, port: int) -> None:
    """Run the provider on the development server (one process; `compte run` in production)."""

    ctx.serving = True
    app = ctx.app
    maintenance.on_serve(app)
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        request_handler=RedactingRequestHandler,
    )


def _server_option(variable: str) -> Callable:
    """`compte run`'s option for a server setting, its help and default told from
    SERVER_SETTINGS (idp/serving.py), the one place they are written."""
    default, meaning = serving.SERVER_SETTINGS[variable]
    name = "--" + variable.removeprefix("COMPTE_").lower().replace("_", "-")
    shown = f", {default}" if default else ""
    return click.option(name, help=f"{meaning} [{variable}{shown}]")


@main.command()
@_server_option("COMPTE_BIND")
@_server_option("COMPTE_WORKERS")
@_server_option("COMPTE_THREADS")
@_server_option("COMPTE_ACCESS_LOG")
@_server_option("COMPTE_ERROR_LOG")
@_server_option("COMPTE_WORKER_MAX_RSS")
def run(**options: str | None) -> None:
    """Run the provider in production: granian, several workers (docs/deployment.md)."""

    values = {k: v for k, v in os.environ.items() if k in serving.SERVER_SETTINGS}
    values.update({f"COMPTE_{k.upper()}": v for k, v in options.items() if v is not None})
    try:
        serving.settings_from(values)  # a mistake is told here, before anything starts
    except serving.ServerSettingError as error:
        raise click.UsageError(str(error)) from None
    serving.exec_server(values)


@main.group()
def db() -> None:
    """Database schema."""


def alembic_config(app: Flask):

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["app"] = app
    return cfg


@db.command()
@click.argument("revision", default="head")
@pass_app
def upgrade(ctx: AppContext, revision: str) -> None:
    """Apply migrations (up to REVISION, default head)."""

    command.upgrade(alembic_config(ctx.app), revision)
    click.echo(f"Database at {revision}.")


@db.command()
@click.option("-m", "--message", required=True)
@pass_app
def revision(ctx: AppContext, message: str) -> None:
    """Write a new migration from the models (developers)."""

    command.revision(alembic_config(ctx.app), message=message, autogenerate=True)


@main.command()
@click.option("--port", default=8025, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--directory", default=None, help="Where to store messages (default: MAILSINK_DIR).")
@pass_app
def mailsink(ctx: AppContext, port: int, host: str, directory: str | None) -> None:
    """Run a local SMTP sink that stores every message (demo, development)."""

    folder = directory or ctx.app.config["MAILSINK_DIR"]
    with MailSink(folder, host=host, port=port) as sink:
        click.echo(f"SMTP sink on {host}:{sink.port}, messages in {folder}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


for area_cli in (
    settings_cli,
    accounts_cli,
    oidc_cli,
    federation_cli,
    organizations_cli,
    admin_cli,
    audit_cli,
    mail_cli,
):
    area_cli.register(main)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
