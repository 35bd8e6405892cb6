"""`compte proconnect check`: is this Compte ready to be a ProConnect identity provider?
(the checks live in idp/oidc/proconnect.py; the guide is docs/proconnect.md)."""

from __future__ import annotations

from dataclasses import asdict

import click

from idp.core.cli import AppContext, echo_json, pass_app
from idp.oidc import proconnect
from idp.oidc.clients import get_client

MARKS = {proconnect.PASS: "✓", proconnect.WARN: "!", proconnect.FAIL: "✗"}


@click.group("proconnect")
def proconnect_group() -> None:
    """Compte as an identity provider of ProConnect."""


@proconnect_group.command("check")
@click.option(
    "--client-id",
    default=None,
    help="The client registered for ProConnect (default: the one with its redirect_uri).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def check(ctx: AppContext, client_id: str | None, as_json: bool) -> None:
    """Check the discovery document, ProConnect's client and the organisations against what
    ProConnect asks of an identity provider; exits 1 when a requirement is not met."""

    with ctx.app.app_context():
        if client_id:
            client = get_client(client_id)
            if client is None:
                raise click.ClickException(f"no client {client_id!r}")
        else:
            found = proconnect.proconnect_clients()
            if len(found) > 1:
                names = ", ".join(c.client_id for c in found)
                raise click.ClickException(f"several ProConnect clients ({names}): --client-id")
            client = found[0] if found else None
        checks = proconnect.all_checks(ctx.app, client)
    failed = any(c.status == proconnect.FAIL for c in checks)
    if as_json:
        echo_json({"ready": not failed, "checks": [asdict(c) for c in checks]})
    else:
        for item in checks:
            click.echo(f"{MARKS[item.status]} {item.what}")
        click.echo("Ready for ProConnect." if not failed else "Not ready for ProConnect yet.")
    if failed:
        raise SystemExit(1)


def register(main: click.Group) -> None:
    main.add_command(proconnect_group)
