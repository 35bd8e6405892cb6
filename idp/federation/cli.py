"""`compte providers add|list|show|update|disable|enable|remove`: the upstream identity
providers (FranceConnect, ProConnect, any OpenID provider) at the console. Every change
goes through idp/federation/providers.py, which checks, commits and audits (actor None:
the operator)."""

from __future__ import annotations

import sys
from typing import Any

import click

from idp.core.cli import AppContext, console_context, echo_json, pass_app
from idp.core.extensions import db
from idp.federation import providers
from idp.federation.models import KINDS, UpstreamProvider

STDIN_HELP = (
    'Client secret given by the provider; "-" reads it from standard input, which keeps it '
    "out of the shell history (e.g. `pass show fc | compte providers add … --client-secret -`)."
)


@click.group("providers")
def providers_group() -> None:
    """Upstream identity providers people may sign in through (FranceConnect, ProConnect,
    any OpenID provider)."""


def _secret(value: str | None) -> str | None:
    if value == "-":
        return sys.stdin.readline().strip()
    return value


def _get(name: str) -> UpstreamProvider:
    provider = providers.get(name)
    if provider is None:
        raise click.ClickException(f"No provider named {name!r} (see `compte providers list`).")
    return provider


def _fail(error: providers.ProviderError) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(f"{error.field}: {error}" if error.field else str(error))


def _show(data: dict[str, Any], as_json: bool, message: str) -> None:
    if as_json:
        echo_json(data)
        return
    click.echo(message)
    for key, value in data.items():
        click.echo(f"  {key}: {'' if value is None else value}")


def _setting_options(command: Any, *, adding: bool = False) -> Any:
    """The options `add` and `update` share (`add` requires the issuer and client id)."""
    for option in reversed(
        [
            click.option(
                "--issuer", required=adding, help="Issuer URL (https; http only on localhost)."
            ),
            click.option("--client-id", required=adding, help="Client ID given by the provider."),
            click.option("--client-secret", help=STDIN_HELP),
            click.option("--label", help="What the login page's button says."),
            click.option("--scope", help='Scopes asked for, e.g. "openid email profile".'),
            click.option("--acr-values", help='acr values asked for, e.g. "eidas1" ("" none).'),
            click.option("--kind", type=click.Choice(KINDS), help="Defaults for the kind."),
            click.option("--json", "as_json", is_flag=True, help="Print the provider as JSON."),
        ]
    ):
        command = option(command)
    return command


@providers_group.command("add")
@click.option("--name", required=True, help="Short name used in URLs: a-z, 0-9 and '-'.")
@lambda command: _setting_options(command, adding=True)
@click.option("--disabled", is_flag=True, help="Declare it without offering it yet.")
@pass_app
def add(ctx: AppContext, name: str, as_json: bool, disabled: bool, **options: Any) -> None:
    """Declare a provider; prints the redirect_uri to register at the provider. Scope,
    acr values and label default from --kind (franceconnect, proconnect, oidc)."""
    options["client_secret"] = _secret(options["client_secret"])
    options["kind"] = options["kind"] or "oidc"
    with console_context(ctx.app):
        try:
            provider = providers.create(name=name, enabled=not disabled, **options)
        except providers.ProviderError as error:
            raise _fail(error) from error
        data = providers.describe(provider)
    _show(
        data,
        as_json,
        f"Provider {name!r} declared. Register at the provider: "
        f"redirect_uri {data['redirect_uri']}, "
        f"post_logout_redirect_uri {data['post_logout_redirect_uri']}.",
    )


@providers_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_(ctx: AppContext, as_json: bool) -> None:
    """List the providers (never their secrets)."""
    with console_context(ctx.app):
        rows = [providers.describe(p) for p in providers.listed()]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No provider.")
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled"
        click.echo(f"{row['name']}  {row['label']}  [{row['kind']}, {state}]  {row['issuer']}")


@providers_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def show(ctx: AppContext, name: str, as_json: bool) -> None:
    """Show a provider's settings and the addresses to register at it."""
    with console_context(ctx.app):
        data = providers.describe(_get(name))
    _show(data, as_json, f"Provider {name!r}:")


@providers_group.command("update")
@click.argument("name")
@click.option("--name", "new_name", help="A new short name (the redirect_uri changes).")
@_setting_options
@pass_app
def update(ctx: AppContext, name: str, new_name: str | None, as_json: bool, **options) -> None:
    """Change the settings given (the others stay; the secret stays unless given)."""
    changes = {key: value for key, value in options.items() if value is not None}
    if new_name is not None:
        changes["name"] = new_name
    if "client_secret" in changes:
        changes["client_secret"] = _secret(changes["client_secret"])
    with console_context(ctx.app):
        provider = _get(name)
        try:
            providers.update(provider, **changes)
        except providers.ProviderError as error:
            raise _fail(error) from error
        data = providers.describe(provider)
    _show(data, as_json, f"Provider {data['name']!r} updated.")


def _switch(ctx: AppContext, name: str, enabled: bool, as_json: bool) -> None:
    with console_context(ctx.app):
        provider = _get(name)
        providers.set_enabled(provider, enabled)
        data = providers.describe(provider)
    state = "enabled: offered on the login page" if enabled else "disabled"
    _show(data, as_json, f"Provider {name!r} {state}.")


@providers_group.command("disable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def disable(ctx: AppContext, name: str, as_json: bool) -> None:
    """Stop offering a provider (links to accounts are kept)."""
    _switch(ctx, name, False, as_json)


@providers_group.command("enable")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def enable(ctx: AppContext, name: str, as_json: bool) -> None:
    """Offer a disabled provider again."""
    _switch(ctx, name, True, as_json)


@providers_group.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def remove(ctx: AppContext, name: str, yes: bool, as_json: bool) -> None:
    """Forget a provider and every account link to it (the accounts stay)."""
    if not yes:
        click.confirm(f"Remove provider {name} and the accounts' links to it?", abort=True)
    with console_context(ctx.app):
        providers.remove(_get(name))
    if as_json:
        echo_json({"name": name, "removed": True})
    else:
        click.echo(f"Provider {name!r} removed.")


def register(main: click.Group) -> None:
    main.add_command(providers_group)
