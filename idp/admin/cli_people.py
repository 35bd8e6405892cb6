"""`compte invitations add|list|resend|revoke` (registered by idp.admin.cli.register)."""

from __future__ import annotations

import click

from idp.admin import invitations as service
from idp.admin.models import Invitation
from idp.core.cli import AppContext, echo_json, pass_app
from idp.core.extensions import db
from idp.mail.outbox import deliver_now


@click.group()
def invitations() -> None:
    """Invite people to a service."""


def _get(invitation_id: int):

    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise click.ClickException(f"No invitation {invitation_id}.")
    return invitation


@invitations.command("add")
@click.option("--email", required=True, help="The invited person's e-mail address.")
@click.option("--service", "client_id", required=True, help="client_id of the target service.")
@click.option("--given-name", default=None)
@click.option("--family-name", default=None)
@click.option("--civility", type=click.Choice(["mme", "m"]), default=None)
@click.option("--expires-in", "days", type=int, default=None, help="Days (default 30).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def add(
    ctx: AppContext,
    email: str,
    client_id: str,
    given_name: str | None,
    family_name: str | None,
    civility: str | None,
    days: int | None,
    as_json: bool,
) -> None:
    """Create an invitation and mail it."""

    app = ctx.app
    with app.app_context(), app.test_request_context(base_url=app.config["ISSUER"]):
        try:
            invitation, message = service.invite(
                email=email,
                client_id=client_id,
                given_name=given_name,
                family_name=family_name,
                civility=civility,
                expires_in_days=days,
                origin="cli",
            )
        except service.InvitationError as error:
            raise click.ClickException(str(error)) from error
        data = service.as_dict(invitation) | {"mail_sent": deliver_now(message)}
    if as_json:
        echo_json(data)
        return
    click.echo(f"Invitation {data['id']} for {data['email']} to {data['client_id']} created.")
    if not data["mail_sent"]:
        click.echo("The mail server did not take the mail yet: it stays queued and is retried.")


@invitations.command("list")
@click.option(
    "--status", type=click.Choice(["pending", "accepted", "expired", "revoked"]), default=None
)
@click.option("--service", "client_id", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_(ctx: AppContext, status: str | None, client_id: str | None, as_json: bool) -> None:
    """List invitations, newest first."""

    with ctx.app.app_context():
        rows = [service.as_dict(i) for i in service.listing(status=status, client_id=client_id)]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['id']:>5}  {row['status']:<9} {row['email']:<40} {row['client_id']:<24} "
            f"expires {row['expires_at'][:10]}"
        )
    if not rows:
        click.echo("No invitation.")


@invitations.command("resend")
@click.argument("invitation_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def resend(ctx: AppContext, invitation_id: int, as_json: bool) -> None:
    """Mail a fresh link (the former one stops working)."""

    app = ctx.app
    with app.app_context(), app.test_request_context(base_url=app.config["ISSUER"]):
        invitation = _get(invitation_id)
        try:
            message = service.resend(invitation)
        except service.InvitationError as error:
            raise click.ClickException(str(error)) from error
        data = service.as_dict(invitation) | {"mail_sent": deliver_now(message)}
    if as_json:
        echo_json(data)
    else:
        click.echo(f"Invitation {invitation_id} re-sent to {data['email']}.")


@invitations.command("revoke")
@click.argument("invitation_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def revoke(ctx: AppContext, invitation_id: int, as_json: bool) -> None:
    """Cancel a pending invitation: its link stops working."""

    with ctx.app.app_context():
        invitation = _get(invitation_id)
        try:
            service.revoke(invitation)
        except service.InvitationError as error:
            raise click.ClickException(str(error)) from error
        db.session.commit()
        data = service.as_dict(invitation)
    if as_json:
        echo_json(data)
    else:
        click.echo(f"Invitation {invitation_id} revoked.")


def register(main: click.Group) -> None:
    main.add_command(invitations)
