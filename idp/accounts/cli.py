"""`compte users …` and `compte accounts …`."""

from __future__ import annotations

import click

from idp.accounts import factors, maintenance
from idp.accounts.errors import AccountError
from idp.accounts.forms.names import name_problem, tidy_name
from idp.accounts.services import create_account, find_by_email
from idp.audit import record
from idp.core.cli import AppContext, console_context, echo_json, pass_app
from idp.core.extensions import db


@click.group()
def users() -> None:
    """Accounts (people)."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--confirmed", is_flag=True, help="Mark the e-mail as confirmed.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def add_user(
    ctx: AppContext,
    email: str,
    password: str,
    given_name: str,
    family_name: str,
    confirmed: bool,
    as_json: bool,
) -> None:
    """Create an account (the password policy is not applied: operators' choice)."""

    with ctx.app.app_context():
        given_name, family_name = tidy_name(given_name), tidy_name(family_name)
        for option, name in (("--given-name", given_name), ("--family-name", family_name)):
            problem = name_problem(name)  # the rule of every name field of the pages
            if problem:
                raise click.BadParameter(problem, param_hint=option)
        try:
            account = create_account(
                email=email,
                password=password,
                given_name=given_name,
                family_name=family_name,
                confirmed=confirmed,
            )
        except AccountError as error:
            raise click.ClickException(str(error)) from error
        db.session.flush()
        record("account.created", account=account, via="cli", confirmed=confirmed)
        db.session.commit()
        data = {
            "id": account.id,
            "sub": account.sub,
            "email": account.email,
            "confirmed": account.is_confirmed,
        }
    if as_json:
        echo_json(data)
    else:
        click.echo(f"Account {data['email']} created (sub {data['sub']}).")


@users.command("reset-factors")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def reset_factors(ctx: AppContext, email: str, as_json: bool) -> None:
    """Remove every second factor of an account (the person lost them); mailed to them."""

    with console_context(ctx.app):  # the mail's links need the issuer's URL
        account = find_by_email(email)
        if account is None:
            raise click.ClickException(f"No account with the address {email}.")
        kinds = factors.reset(account, actor=None, via="cli")
        data = {"email": account.email, "removed": kinds}
    if as_json:
        echo_json(data)
    elif kinds:
        click.echo(f"Second factors of {data['email']} removed: {', '.join(kinds)}.")
    else:
        click.echo(f"{data['email']} had no second factor.")


@click.group()
def accounts() -> None:
    """Account maintenance."""


@accounts.command("purge")
@pass_app
def purge(ctx: AppContext) -> None:
    """Remove expired unconfirmed registrations and expired used-link markers."""

    with ctx.app.app_context():
        maintenance.run()
    click.echo("Purged.")


def register(main: click.Group) -> None:
    main.add_command(users)
    main.add_command(accounts)
