"""`compte clients add|list|show|update|rotate-secret|disable|enable|remove|token`: the
client applications at the console. Every change is audited (actor None: the operator)."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import url_for

from idp import audit
from idp.admin.forms.clients import NAME_TAKEN
from idp.audit import record
from idp.core.cli import AppContext, console_context, echo_json, pass_app
from idp.core.extensions import db
from idp.launcher import services as launcher
from idp.launcher.services import entry_for_client, set_entry
from idp.oidc import clients as rules
from idp.oidc.capabilities import (
    DEFAULT_SCOPES,
    DEFAULT_SIGNING_ALG,
    SECRET_METHODS,
    SUPPORTED,
    current,
)
from idp.oidc.client_registration_endpoints import issue_initial_access_token
from idp.oidc.client_rules import ClientError
from idp.oidc.clients import client_settings, create_client, get_client, list_clients, name_taken

# How userinfo may answer: plain JSON ("none"), or a JWT signed with one of Compte's algorithms
# (those the settings switch off are refused by idp.oidc.clients with a clear message).
USERINFO_ALGS = ("none", *SUPPORTED.signing_algs)


@click.group()
def clients() -> None:
    """Client applications (relying parties and service clients)."""


@clients.command("add")
@click.option("--name", required=True, help="Name shown to people (consent, launcher).")
@click.option("--redirect-uri", "redirect_uris", multiple=True, help="Repeat for several.")
@click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True)
@click.option("--backchannel-logout-uri", default=None)
@click.option("--frontchannel-logout-uri", default=None)
@click.option(
    "--auth-method",
    type=click.Choice(SUPPORTED.auth_methods),
    default="client_secret_basic",
    show_default=True,
)
@click.option(
    "--scope", "scopes", multiple=True, help="Allowed scope; repeat (default: standard set)."
)
@click.option(
    "--grant-type",
    "grant_types",
    multiple=True,
    type=click.Choice(SUPPORTED.grant_types),
    help="Repeat (default: authorization_code and refresh_token).",
)
@click.option("--first-party", is_flag=True, help="Skip the consent page for this client.")
@click.option(
    "--require-mfa", is_flag=True, help="Ask people for a second factor to use this client."
)
@click.option(
    "--id-token-alg", type=click.Choice(SUPPORTED.signing_algs), default=DEFAULT_SIGNING_ALG
)
@click.option(
    "--userinfo-alg",
    "--userinfo-signed-response-alg",
    "userinfo_alg",
    type=click.Choice(USERINFO_ALGS),
    default="none",
    show_default=True,
    help="Userinfo answers signed (a JWT) with this algorithm; none: plain JSON.",
)
@click.option("--subject-type", type=click.Choice(SUPPORTED.subject_types), default="public")
@click.option(
    "--access-token-format", type=click.Choice(SUPPORTED.access_token_formats), default="opaque"
)
@click.option("--jwks-uri", default=None, help="For private_key_jwt.")
@click.option("--jwks-file", type=click.File("r"), default=None, help="JWKS JSON file.")
@click.option("--client-id", default=None, help="Choose the client_id (default: random).")
@click.option("--launcher-url", default=None, help="Also list the application in the launcher.")
@click.option("--launcher-description", default="", help="Launcher description.")
@click.option("--launcher-icon", default=None, help="Launcher icon URL.")
@click.option("--json", "as_json", is_flag=True, help="Print client_id and client_secret as JSON.")
@pass_app
def add_client(ctx: AppContext, **options) -> None:
    """Register a client application; prints its client_id and (once) its secret."""

    as_json = options.pop("as_json")
    launcher_url = options.pop("launcher_url")
    launcher_description = options.pop("launcher_description")
    launcher_icon = options.pop("launcher_icon")
    jwks_file = options.pop("jwks_file")
    jwks = json.load(jwks_file) if jwks_file else None
    with ctx.app.app_context():
        try:
            client, secret = create_client(
                options["name"],
                redirect_uris=options["redirect_uris"],
                post_logout_redirect_uris=options["post_logout_redirect_uris"],
                backchannel_logout_uri=options["backchannel_logout_uri"],
                frontchannel_logout_uri=options["frontchannel_logout_uri"],
                auth_method=options["auth_method"],
                scopes=options["scopes"] or DEFAULT_SCOPES,
                grant_types=options["grant_types"] or ("authorization_code", "refresh_token"),
                first_party=options["first_party"],
                require_mfa=options["require_mfa"],
                id_token_alg=options["id_token_alg"],
                userinfo_alg=options["userinfo_alg"],
                subject_type=options["subject_type"],
                access_token_format=options["access_token_format"],
                jwks=jwks,
                jwks_uri=options["jwks_uri"],
                client_id=options["client_id"],
            )
            if launcher_url:
                _add_launcher_entry(
                    client.client_id, client.name, launcher_url, launcher_description, launcher_icon
                )
        except ClientError as error:
            raise click.ClickException(str(error)) from error
        record("admin.client.created", client_id=client.client_id, via="cli")
        db.session.commit()
        data = {"client_id": client.client_id, "client_secret": secret}
    if as_json:
        echo_json(data)
        return
    click.echo(f"Client {options['name']!r} registered.")
    click.echo(f"client_id:     {data['client_id']}")
    if secret:
        click.echo(f"client_secret: {secret}  (shown once: store it now)")


def _add_launcher_entry(
    client_id: str, name: str, url: str, description: str, icon_url: str | None
) -> None:
    try:
        set_entry(client_id, name=name, url=url, description=description, icon_url=icon_url)
    except ValueError as error:
        raise click.ClickException(str(error)) from error


# --- clients ----------------------------------------------------------------------------


def client_data(client: Any) -> dict:
    """What `show` and `list --json` print: every setting, never a secret."""

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

    client = get_client(client_id)
    if client is None:
        raise click.ClickException(f"No client with client_id {client_id}.")
    return client


def _fail(error: Exception) -> click.ClickException:

    db.session.rollback()
    field = getattr(error, "field", None)
    return click.ClickException(f"{field}: {error}" if field else str(error))


@clients.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def clients_list(ctx: AppContext, as_json: bool) -> None:
    """List client applications."""

    with console_context(ctx.app):
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
    with console_context(ctx.app):
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
@click.option("--require-mfa/--no-require-mfa", default=None, help="Second factor required.")
@click.option("--id-token-alg", type=click.Choice(SUPPORTED.signing_algs))
@click.option(
    "--userinfo-alg",
    "--userinfo-signed-response-alg",
    "userinfo_alg",
    type=click.Choice(USERINFO_ALGS),
    help="Userinfo answers signed with this algorithm; none: plain JSON.",
)
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

    launcher_options = {k: options.pop(k) for k in list(options) if k.startswith("launcher_")}
    fields: dict[str, Any] = {}
    for key in (
        "name",
        "auth_method",
        "id_token_alg",
        "userinfo_alg",
        "access_token_format",
        "first_party",
        "require_mfa",
    ):
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

    with console_context(ctx.app):
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

    with console_context(ctx.app):
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

    app = ctx.app
    with console_context(app):
        if not current().dynamic_registration:
            raise click.ClickException("Dynamic registration is off (OIDC_DYNAMIC_REGISTRATION).")
        row, plain = issue_initial_access_token(
            None, expires_in_days=expires_in, max_uses=None if unlimited else max_uses
        )
        db.session.commit()
        endpoint = app.config["ISSUER"].rstrip("/") + url_for("client_registration.register")
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
