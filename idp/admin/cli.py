"""`compte admins …`, and the registration of the administration's other commands:
`compte clients …` (idp/admin/cli_clients.py), `compte users|invitations …`
(idp/admin/cli_people.py). Every change is audited (actor None: the operator at the console)."""

from __future__ import annotations

import click

from idp import audit
from idp.accounts.models import Account
from idp.accounts.services import find_by_email
from idp.admin import cli_clients, cli_people
from idp.core.cli import AppContext, console_context, echo_json, pass_app
from idp.core.extensions import db

# --- admins -----------------------------------------------------------------------------


@click.group()
def admins() -> None:
    """Administrators (accounts with access to /admin)."""


def _set_admin(ctx: AppContext, email: str, value: bool, as_json: bool) -> None:

    with console_context(ctx.app):
        account = find_by_email(email)
        if account is None:
            raise click.ClickException(f"No account with the e-mail {email}.")
        changed = account.is_admin != value
        account.is_admin = value
        if changed:
            audit.record("admin.granted" if value else "admin.revoked", account=account, via="cli")
        db.session.commit()
        data = {"email": account.email, "is_admin": account.is_admin, "changed": changed}
    if as_json:
        echo_json(data)
    else:
        state = "is now" if value else "is no longer"
        click.echo(f"{data['email']} {state} an administrator.")


@admins.command("add")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def admins_add(ctx: AppContext, email: str, as_json: bool) -> None:
    """Make the account with EMAIL an administrator."""
    _set_admin(ctx, email, True, as_json)


@admins.command("remove")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def admins_remove(ctx: AppContext, email: str, as_json: bool) -> None:
    """Take administrator rights away from the account with EMAIL."""
    _set_admin(ctx, email, False, as_json)


@admins.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def admins_list(ctx: AppContext, as_json: bool) -> None:
    """List administrators."""

    with console_context(ctx.app):
        emails = list(
            db.session.scalars(
                db.select(Account.email).where(Account.is_admin.is_(True)).order_by(Account.email)
            )
        )
    if as_json:
        echo_json(emails)
    else:
        click.echo("\n".join(emails) or "No administrator.")


def register(main: click.Group) -> None:
    main.add_command(admins)
    main.add_command(cli_clients.clients)
    cli_people.register(main)
