"""What every area's commands share: the application context they run in, and JSON output.

The root `compte` group (idp/cli.py) gives each command an `AppContext` holding the app
factory; the app is built on first use, so `compte --help` needs no database."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from flask import Flask


class AppContext:
    """Creates the app lazily, so that `compte --help` needs no database.

    Commands other than `serve` run no background mail delivery: a command that queues a
    mail delivers it itself (idp.mail.outbox.deliver_now), or leaves it to the workers."""

    def __init__(self, factory: Callable[[dict[str, Any] | None], Flask] | None = None) -> None:
        self._factory = factory
        self._app: Flask | None = None
        self.serving = False

    @property
    def app(self) -> Flask:
        if self._app is None:
            if self._factory is None:
                raise click.UsageError("No application: run this command through `compte`.")
            self._app = self._factory(None if self.serving else {"MAIL_WORKER": False})
        return self._app


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def console_context(app: Flask) -> Any:
    """An app context with a (fake) request: rule messages are lazy translations, and the
    locale selector reads the request (French, the default, at the console)."""
    return app.test_request_context("/", headers={"Accept-Language": "fr"})
