"""`compte organizations add|list|show|update|remove`: the organisations (SIRET, e-mail
domains, unit) at the console. Every change is audited (actor None: the operator)."""

from __future__ import annotations

from typing import Any

import click

from idp.core.cli import AppContext, console_context, echo_json, pass_app
from idp.core.extensions import db
from idp.organizations import services
from idp.organizations.models import Organization
from idp.organizations.services import OrganizationError

# OrganizationError.field → the option that holds the wrong value.
OPTION_OF = {
    "name": "--name",
    "siret": "--siret",
    "domains": "--domain",
    "organizational_unit": "--unit",
}


@click.group("organizations")
def organizations_group() -> None:
    """Organisations: who people work for (SIRET), by e-mail domain or per account."""


def organization_data(organization: Organization) -> dict[str, Any]:
    """What every command prints of an organisation."""
    return {
        "id": organization.id,
        "name": organization.name,
        "siret": organization.siret,
        "siren": organization.siren,
        "organizational_unit": organization.organizational_unit,
        "domains": organization.domain_names,
        "created_at": organization.created_at.isoformat(timespec="seconds"),
        "updated_at": organization.updated_at.isoformat(timespec="seconds"),
    }


def _fail(error: OrganizationError) -> click.ClickException:
    db.session.rollback()
    option = OPTION_OF.get(error.field or "")
    return click.ClickException(f"{option}: {error}" if option else str(error))


def _get(key: str) -> Organization:
    organization = services.find(key)
    if organization is None:
        raise click.ClickException(f"No organisation with the SIRET or id {key}.")
    return organization


def _show(data: dict[str, Any], as_json: bool, done: str) -> None:
    if as_json:
        echo_json(data)
        return
    click.echo(f"Organisation {data['name']!r} (SIRET {data['siret']}) {done}.")


@organizations_group.command("add")
@click.option("--name", required=True, help="Name of the organisation.")
@click.option("--siret", required=True, help="14 digits (spaces allowed).")
@click.option(
    "--domain", "domains", multiple=True, help="E-mail domain of its people; repeat for several."
)
@click.option("--unit", default=None, help="Ministry / direction / service of its people.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def organizations_add(
    ctx: AppContext, name: str, siret: str, domains: tuple[str, ...], unit: str | None, as_json
) -> None:
    """Add an organisation; people whose e-mail is in one of its domains belong to it."""
    with console_context(ctx.app):
        try:
            organization = services.create(name, siret, domains, unit, via="cli")
        except OrganizationError as error:
            raise _fail(error) from error
        db.session.commit()
        data = organization_data(organization)
    _show(data, as_json, "added")


@organizations_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def organizations_list(ctx: AppContext, as_json: bool) -> None:
    """List the organisations and their domains."""
    with console_context(ctx.app):
        rows = [organization_data(o) for o in services.list_organizations()]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No organisation.")
    for row in rows:
        domains = ", ".join(row["domains"]) or "no domain"
        click.echo(f"{row['id']}  {row['siret']}  {row['name']}  [{domains}]")


@organizations_group.command("show")
@click.argument("key", metavar="SIRET|ID")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def organizations_show(ctx: AppContext, key: str, as_json: bool) -> None:
    """Show one organisation."""
    with console_context(ctx.app):
        data = organization_data(_get(key))
    if as_json:
        echo_json(data)
        return
    for name, value in data.items():
        click.echo(f"{name}: {', '.join(value) if isinstance(value, list) else value}")


@organizations_group.command("update")
@click.argument("key", metavar="SIRET|ID")
@click.option("--name")
@click.option("--siret", help="A new SIRET.")
@click.option(
    "--domain", "domains", multiple=True, help='Replaces the domains; repeat; "" removes them.'
)
@click.option("--unit", help='"" removes it.')
@click.option("--json", "as_json", is_flag=True)
@pass_app
def organizations_update(ctx: AppContext, key: str, as_json: bool, **options: Any) -> None:
    """Change an organisation (only the options given)."""
    changes = {k: v for k, v in options.items() if v is not None and k != "domains"}
    if options["domains"]:
        changes["domains"] = options["domains"]
    if "unit" in changes:
        changes["organizational_unit"] = changes.pop("unit")
    with console_context(ctx.app):
        organization = _get(key)
        try:
            changed = services.update(organization, via="cli", **changes)
        except OrganizationError as error:
            raise _fail(error) from error
        db.session.commit()
        data = {**organization_data(organization), "changed": changed}
    _show(data, as_json, "updated" if changed else "unchanged")


@organizations_group.command("remove")
@click.argument("key", metavar="SIRET|ID")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def organizations_remove(ctx: AppContext, key: str, as_json: bool) -> None:
    """Delete an organisation; its people fall back to their e-mail's domain."""
    with console_context(ctx.app):
        organization = _get(key)
        data = {"id": organization.id, "name": organization.name, "siret": organization.siret}
        services.remove(organization, via="cli")
        db.session.commit()
    _show({**data, "removed": True}, as_json, "removed")


def register(main: click.Group) -> None:
    main.add_command(organizations_group)
