"""`compte clients add` and `compte keys rotate|list`.

`clients` is a module-level click group: the administration area attaches list, show,
update, rotate-secret, disable, remove and token to it (idp/admin/cli.py).
"""

from __future__ import annotations

import json

import click

from idp.core.cli import AppContext, echo_json, pass_app
from idp.oidc.capabilities import DEFAULT_SIGNING_ALG, SUPPORTED


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
    "--id-token-alg", type=click.Choice(SUPPORTED.signing_algs), default=DEFAULT_SIGNING_ALG
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
    from idp.audit import record
    from idp.core.extensions import db
    from idp.oidc.capabilities import DEFAULT_SCOPES
    from idp.oidc.client_rules import ClientError
    from idp.oidc.clients import create_client

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
                id_token_alg=options["id_token_alg"],
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
        from idp.launcher.services import set_entry
    except ImportError:  # the launcher area is not installed
        click.echo("Launcher not available: no launcher entry created.", err=True)
        return
    try:
        set_entry(client_id, name=name, url=url, description=description, icon_url=icon_url)
    except ValueError as error:
        raise click.ClickException(str(error)) from error


@click.group()
def keys() -> None:
    """Signing keys of ID tokens and JWT access tokens."""


@keys.command("rotate")
@click.option(
    "--now",
    "immediately",
    is_flag=True,
    help="Sign with the new keys at once (a compromised key). Tokens signed in the next "
    "minutes may then fail where JWKS was not reloaded yet.",
)
@pass_app
def rotate(ctx: AppContext, immediately: bool) -> None:
    """Publish new keys; they sign after OIDC_KEY_ACTIVATION_DELAY (every instance and
    relying party has seen them by then). Old keys stay in JWKS until their tokens expire."""
    from idp.audit import record
    from idp.core.extensions import db
    from idp.oidc.keys import rotate_keys

    with ctx.app.app_context():
        created = rotate_keys(immediately=immediately)
        record("keys.rotated", kids=[k.kid for k in created], immediately=immediately)
        db.session.commit()
        for key in created:
            click.echo(
                f"New {key.alg} key {key.kid}, signs from {key.activates_at:%Y-%m-%d %H:%M:%S} UTC"
            )


def _key_state(key, now) -> str:
    if key.activates_at > now:
        return f"published, signs from {key.activates_at:%Y-%m-%d %H:%M:%S} UTC"
    if key.retired_at is not None and key.retired_at <= now:
        return f"retired, published until {key.not_after:%Y-%m-%d %H:%M:%S} UTC"
    if key.retired_at is not None:
        return f"signing until {key.retired_at:%Y-%m-%d %H:%M:%S} UTC"
    return "signing"


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def list_keys(ctx: AppContext, as_json: bool) -> None:
    """Show the signing keys (never the private parts), when each signs, and the
    activation delay of the next rotation."""
    from idp.core.clock import utcnow
    from idp.core.extensions import db
    from idp.core.sealing import sealer
    from idp.oidc.keys import activation_delay
    from idp.oidc.models import SigningKey

    with ctx.app.app_context():
        now = utcnow()
        rows = [
            {
                "kid": k.kid,
                "alg": k.alg,
                "state": _key_state(k, now),
                "created_at": k.created_at,
                "signs_from": k.activates_at,
                "retired_at": k.retired_at,
                "published_until": k.not_after,
            }
            for k in db.session.scalars(db.select(SigningKey).order_by(SigningKey.id))
        ]
        delay = activation_delay()
        kek = sealer().fingerprints[0] if sealer().dedicated else "derived from SECRET_KEY"
    if as_json:
        echo_json({"activation_delay": delay, "key_encryption_key": kek, "keys": rows})
        return
    click.echo(f"Activation delay of a rotation: {delay} s. Sealed with key-encryption key {kek}.")
    for row in rows:
        click.echo(f"{row['alg']}  {row['kid']}  {row['state']}")


@keys.command("new-kek")
def new_kek() -> None:
    """Print a new random key-encryption key (for KEY_ENCRYPTION_KEY)."""
    import secrets

    click.echo(secrets.token_urlsafe(48))


@keys.command("rewrap")
@pass_app
def rewrap(ctx: AppContext) -> None:
    """Seal every stored secret again under the first key-encryption key (after putting a
    new one first in KEY_ENCRYPTION_KEY); then the old one can be dropped."""
    from idp.audit import record
    from idp.core.extensions import db
    from idp.core.sealing import reseal_column, sealer
    from idp.mail.models import OutboxMessage
    from idp.oidc.models import SigningKey, Token

    with ctx.app.app_context():
        counts = {
            "signing_keys": reseal_column(SigningKey.sealed_jwk),
            "mail_bodies": reseal_column(OutboxMessage.sealed_body),
            "refresh_answers": reseal_column(Token.retry_answer),
        }
        record("keys.rewrapped", kek=sealer().fingerprints[0], **counts)
        db.session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@click.group("oidc")
def oidc_group() -> None:
    """OpenID Provider maintenance."""


@oidc_group.command("purge")
@pass_app
def purge(ctx: AppContext) -> None:
    """Remove expired codes, tokens, replay markers, ended sessions and old keys."""
    from idp.oidc import maintenance

    with ctx.app.app_context():
        counts = maintenance.run()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


def register(main: click.Group) -> None:
    main.add_command(clients)
    main.add_command(keys)
    main.add_command(oidc_group)
