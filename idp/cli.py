"""The `compte` command. Each area adds its own commands from its `cli.py` (register())."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import click
from flask import Flask

AREA_CLIS = (
    "idp.core.cli",
    "idp.accounts.cli",
    "idp.oidc.cli",
    "idp.admin.cli",
    "idp.audit.cli",
    "idp.mail.cli",
)


class AppContext:
    """Creates the app lazily, so that `compte --help` needs no database.

    Commands other than `serve` run no background mail delivery: a command that queues a
    mail delivers it itself (idp.mail.outbox.deliver_now), or leaves it to the workers."""

    def __init__(self) -> None:
        self._app: Flask | None = None
        self.serving = False

    @property
    def app(self) -> Flask:
        if self._app is None:
            from idp import create_app

            self._app = create_app(None if self.serving else {"MAIL_WORKER": False})
        return self._app


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group()
def main() -> None:
    """Compte: one account, one password, every service."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_app
def serve(ctx: AppContext, host: str, port: int) -> None:
    """Run the provider (threaded development server; use gunicorn in production)."""
    from werkzeug.serving import run_simple

    from idp import maintenance
    from idp.core.request_log import RedactingRequestHandler

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


@main.group()
def db() -> None:
    """Database schema."""


def alembic_config(app: Flask):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["app"] = app
    return cfg


@db.command()
@click.argument("revision", default="head")
@pass_app
def upgrade(ctx: AppContext, revision: str) -> None:
    """Apply migrations (up to REVISION, default head)."""
    from alembic import command

    command.upgrade(alembic_config(ctx.app), revision)
    click.echo(f"Database at {revision}.")


@db.command()
@click.option("-m", "--message", required=True)
@pass_app
def revision(ctx: AppContext, message: str) -> None:
    """Write a new migration from the models (developers)."""
    from alembic import command

    command.revision(alembic_config(ctx.app), message=message, autogenerate=True)


@main.command()
@click.option("--port", default=8025, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--directory", default=None, help="Where to store messages (default: MAILSINK_DIR).")
@pass_app
def mailsink(ctx: AppContext, port: int, host: str, directory: str | None) -> None:
    """Run a local SMTP sink that stores every message (demo, development)."""
    import time

    from idp.mail.sink import MailSink

    folder = directory or ctx.app.config["MAILSINK_DIR"]
    with MailSink(folder, host=host, port=port) as sink:
        click.echo(f"SMTP sink on {host}:{sink.port}, messages in {folder}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def _register_areas() -> None:
    for name in AREA_CLIS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        module.register(main)


_register_areas()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
