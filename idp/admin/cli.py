"""`compte admins …` and the client commands other than `add` (`compte clients list|show|
update|rotate-secret|disable|enable|remove|token`), attached to the OIDC area's `clients`
group. Every change is audited (actor None: the operator at the console)."""

from __future__ import annotations

import json
from typing import Any

import click

from idp.core.cli import AppContext, echo_json, pass_app
from idp.oidc.capabilities import SECRET_METHODS, SUPPORTED
from idp.oidc.client_rules import ClientError
from idp.oidc.clients import client_settings

try:
    from idp.oidc.cli import clients
except ModuleNotFoundError as error:  # pragma: no cover - until the OIDC CLI lands
    if error.name != "idp.oidc.cli":
        raise

    @click.group()
    def clients() -> None:
        """Client applications (OpenID Connect relying parties)."""

    clients.standalone = True  # registered by register() below


def _context(app: Any):
    """An app context with a (fake) request: rule messages are lazy translations, and the
    locale selector reads the request (French, the default, at the console)."""
    return app.test_request_context("/", headers={"Accept-Language": "fr"})


# --- admins -----------------------------------------------------------------------------


@click.group()
def admins() -> None:
    """Administrators (accounts with access to /admin)."""


def _set_admin(ctx: AppContext, email: str, value: bool, as_json: bool) -> None:
    from idp import audit
    from idp.accounts.services import find_by_email
    from idp.core.extensions import db

    with _context(ctx.app):
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
    from idp.accounts.models import Account
    from idp.core.extensions import db

    with _context(ctx.app):
        emails = list(
            db.session.scalars(
                db.select(Account.email).where(Account.is_admin.is_(True)).order_by(Account.email)
            )
        )
    if as_json:
        echo_json(emails)
    else:
        click.echo("\n".join(emails) or "No administrator.")


# --- clients ----------------------------------------------------------------------------


def client_data(client: Any) -> dict:
    """What `show` and `list --json` print: every setting, never a secret."""
    from idp.launcher.services import entry_for_client

    entry = entry_for_client(client.client_id)
    data = {"client_id": client.client_id}
    for key, value in client_settings(client).items():
        data[key] = value
        if key == "auth_method":  # shown next to the method, as always
            data["has_secret"] = bool(client.client_secret_hash)
    return {
        **data,
        "disabled": client.disabled,
        "dynamically_registered": client.registration_access_token_hash is not None,
        "created_at": client.created_at.isoformat(timespec="seconds"),
        "launcher": None
        if entry is None
        else {
            "name": entry.name,
            "url": entry.url,
            "description": entry.description,
            "icon_url": entry.icon_url,
            "position": entry.position,
            "visible": entry.visible,
        },
    }


def _get(client_id: str) -> Any:
    from idp.oidc.clients import get_client

    client = get_client(client_id)
    if client is None:
        raise click.ClickException(f"No client with client_id {client_id}.")
    return client


def _fail(error: Exception) -> click.ClickException:
    from idp.core.extensions import db

    db.session.rollback()
    field = getattr(error, "field", None)
    return click.ClickException(f"{field}: {error}" if field else str(error))


@clients.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_list(ctx: AppContext, as_json: bool) -> None:
    """List client applications."""
    from idp.oidc.clients import list_clients

    with _context(ctx.app):
        rows = [client_data(c) for c in list_clients()]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No client application.")
    for row in rows:
        state = "disabled" if row["disabled"] else "enabled"
        extra = " first-party" if row["first_party"] else ""
        click.echo(f"{row['client_id']}  {row['name']}  [{row['auth_method']}, {state}{extra}]")


@clients.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_show(ctx: AppContext, client_id: str, as_json: bool) -> None:
    """Show every setting of a client (never its secret: only a hash is kept)."""
    with _context(ctx.app):
        data = client_data(_get(client_id))
    if as_json:
        echo_json(data)
    else:
        for key, value in data.items():
            shown = (
                json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
            )
            click.echo(f"{key}: {shown}")


def _opt_uri(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


@clients.command("update")
@click.argument("client_id")
@click.option("--name")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Replaces the list.")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)
@click.option("--backchannel-logout-uri", help='"" removes it.')
@click.option("--frontchannel-logout-uri", help='"" removes it.')
@click.option(
    "--auth-method",
    type=click.Choice(SUPPORTED.auth_methods),
)
@click.option("--scope", "scopes", multiple=True, help="Replaces the allowed scopes.")
@click.option("--grant-type", "grant_types", multiple=True, help="Replaces the grant types.")
@click.option("--first-party/--not-first-party", default=None)
@click.option("--id-token-alg", type=click.Choice(SUPPORTED.signing_algs))
@click.option("--pairwise/--public", "pairwise", default=None, help="Subject type.")
@click.option("--access-token-format", type=click.Choice(SUPPORTED.access_token_formats))
@click.option("--jwks", help="JWKS as JSON, or @FILE.")
@click.option("--jwks-uri")
@click.option("--launcher-name")
@click.option("--launcher-url")
@click.option("--launcher-description")
@click.option("--launcher-icon")
@click.option("--launcher-position", type=int)
@click.option("--launcher-visible/--launcher-hidden", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_update(ctx: AppContext, client_id: str, as_json: bool, **options: Any) -> None:
    """Change the settings of a client (only the options given). Prints a new secret when
    the client moves to a secret-based method without one."""
    from idp import audit
    from idp.core.extensions import db
    from idp.launcher import services as launcher
    from idp.oidc import clients as rules

    launcher_options = {k: options.pop(k) for k in list(options) if k.startswith("launcher_")}
    fields: dict[str, Any] = {}
    for key in ("name", "auth_method", "id_token_alg", "access_token_format", "first_party"):
        if options[key] is not None:
            fields[key] = options[key]
    for key in ("redirect_uris", "post_logout_redirect_uris", "scopes", "grant_types"):
        if options[key]:
            fields[key] = list(options[key])
    for key in ("backchannel_logout_uri", "frontchannel_logout_uri", "jwks_uri"):
        if options[key] is not None:
            fields[key] = _opt_uri(options[key])
    if options["pairwise"] is not None:
        fields["subject_type"] = "pairwise" if options["pairwise"] else "public"
    if options["jwks"] is not None:
        fields["jwks"] = _read_jwks(options["jwks"])

    with _context(ctx.app):
        client = _get(client_id)
        secret = None
        try:
            if "name" in fields:
                _check_name(fields["name"], client.id)
            rules.update_client(client, **fields)
            if (
                client.token_endpoint_auth_method in SECRET_METHODS
                and not client.client_secret_hash
            ):
                secret = rules.rotate_secret(client)
            if any(v is not None for v in launcher_options.values()):
                _update_entry(launcher, client, launcher_options)
        except (ClientError, launcher.InvalidEntry) as error:
            raise _fail(error) from error
        audit.record(
            "admin.client.updated",
            client_id=client.client_id,
            via="cli",
            fields=sorted(fields) + sorted(k for k, v in launcher_options.items() if v is not None),
        )
        db.session.commit()
        data = client_data(client)
    if secret:
        data["client_secret"] = secret
    if as_json:
        echo_json(data)
    else:
        click.echo(f"Client {data['client_id']} updated.")
        if secret:
            click.echo(f"New client secret (shown once, only its hash is kept): {secret}")


def _check_name(name: str, exclude_id: int | None) -> None:
    from idp.admin.forms_clients import NAME_TAKEN
    from idp.oidc.clients import name_taken

    if name_taken(name, exclude_id):
        raise ClientError(NAME_TAKEN, "name")


def _read_jwks(value: str) -> dict | None:
    if not value.strip():
        return None
    try:
        if value.startswith("@"):
            with open(value[1:], encoding="utf-8") as handle:
                return json.load(handle)
        return json.loads(value)
    except (OSError, ValueError) as error:
        raise click.BadParameter(
            f"not a readable JSON JWKS: {error}", param_hint="--jwks"
        ) from error


def _update_entry(launcher: Any, client: Any, options: dict) -> None:
    entry = launcher.entry_for_client(client.client_id)
    current = {
        "name": entry.name if entry else client.name,
        "url": entry.url if entry else "",
        "description": entry.description if entry else "",
        "icon_url": entry.icon_url if entry else None,
        "position": entry.position if entry else 100,
        "visible": entry.visible if entry else True,
    }
    renames = {"launcher_icon": "icon_url"}
    for key, value in options.items():
        if value is not None:
            current[renames.get(key, key.removeprefix("launcher_"))] = value
    launcher.set_entry(client.client_id, **current)


def _simple_action(ctx: AppContext, client_id: str, action: str, as_json: bool) -> None:
    from idp import audit
    from idp.core.extensions import db
    from idp.oidc import clients as rules

    with _context(ctx.app):
        client = _get(client_id)
        data: dict[str, Any] = {"client_id": client.client_id, "name": client.name}
        try:
            if action == "rotate-secret":
                data["client_secret"] = rules.rotate_secret(client)
                event = "admin.client.secret_rotated"
            elif action in ("disable", "enable"):
                rules.set_disabled(client, action == "disable")
                data["disabled"] = client.disabled
                event = f"admin.client.{action}d"
            else:
                rules.delete_client(client)
                data["removed"] = True
                event = "admin.client.deleted"
        except ClientError as error:
            raise _fail(error) from error
        audit.record(event, client_id=client_id, via="cli")
        db.session.commit()
    if as_json:
        echo_json(data)
    elif action == "rotate-secret":
        click.echo(
            f"New client secret (shown once, only its hash is kept): {data['client_secret']}"
        )
        click.echo("The previous secret no longer works.")
    else:
        click.echo(f"Client {client_id} {event.rsplit('.', 1)[1]}.")


@clients.command("rotate-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_rotate_secret(ctx: AppContext, client_id: str, as_json: bool) -> None:
    """Give a client a new secret (printed once; the old one stops working)."""
    _simple_action(ctx, client_id, "rotate-secret", as_json)


@clients.command("disable")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_disable(ctx: AppContext, client_id: str, as_json: bool) -> None:
    """Disable a client: refused everywhere, its tokens revoked."""
    _simple_action(ctx, client_id, "disable", as_json)


@clients.command("enable")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_enable(ctx: AppContext, client_id: str, as_json: bool) -> None:
    """Enable a disabled client again."""
    _simple_action(ctx, client_id, "enable", as_json)


@clients.command("remove")
@click.argument("client_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_remove(ctx: AppContext, client_id: str, yes: bool, as_json: bool) -> None:
    """Delete a client with its tokens, consents and launcher entry."""
    if not yes:
        click.confirm(f"Delete client {client_id} for good?", abort=True)
    _simple_action(ctx, client_id, "remove", as_json)


@clients.command("token")
@click.option(
    "--expires-in",
    "expires_in",
    default=7,
    show_default=True,
    type=click.IntRange(1, 365),
    help="Days.",
)
@click.option(
    "--max-uses",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Registrations allowed (see --unlimited).",
)
@click.option("--unlimited", is_flag=True, help="Any number of registrations until it expires.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_token(
    ctx: AppContext, expires_in: int, max_uses: int, unlimited: bool, as_json: bool
) -> None:
    """Issue an initial access token for Dynamic Client Registration (RFC 7591)."""
    from flask import url_for

    from idp.core.extensions import db
    from idp.oidc.registration_endpoints import issue_initial_access_token

    app = ctx.app
    with _context(app):
        row, plain = issue_initial_access_token(
            None, expires_in_days=expires_in, max_uses=None if unlimited else max_uses
        )
        db.session.commit()
        endpoint = app.config["ISSUER"].rstrip("/") + url_for("registration.register")
        data = {
            "initial_access_token": plain,
            "registration_endpoint": endpoint,
            "expires_at": row.expires_at.isoformat(timespec="seconds") + "Z",
            "max_uses": row.max_uses,
        }
    if as_json:
        echo_json(data)
    else:
        click.echo(f"Initial access token (shown once): {plain}")
        click.echo(f"POST client metadata to {endpoint} with 'Authorization: Bearer <token>'.")
        uses = "unlimited" if row.max_uses is None else row.max_uses
        click.echo(f"Expires {data['expires_at']}; registrations allowed: {uses}.")


def register(main: click.Group) -> None:
    main.add_command(admins)
    if getattr(clients, "standalone", False) or "clients" not in main.commands:
        main.add_command(clients)
    try:  # users, invitations and audit commands (the people part of the administration)
        from idp.admin import cli_people
    except ModuleNotFoundError as error:
        if error.name != "idp.admin.cli_people":
            raise
    else:
        cli_people.register(main)
