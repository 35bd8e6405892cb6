"""`compte keys …` (signing keys and the key-encryption key) and `compte oidc purge`."""

from __future__ import annotations

import secrets

import click

from idp.accounts.factors.models import TotpFactor
from idp.audit import record
from idp.core.cli import AppContext, echo_json, pass_app
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import reseal_column, sealer
from idp.federation.models import UpstreamProvider, UpstreamSession
from idp.mail.models import OutboxMessage
from idp.oidc import maintenance, proconnect_cli
from idp.oidc.keys import activation_delay, rotate_keys
from idp.oidc.models import SigningKey, Token


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

    click.echo(secrets.token_urlsafe(48))


@keys.command("rewrap")
@pass_app
def rewrap(ctx: AppContext) -> None:
    """Seal every stored secret again under the first key-encryption key (after putting a
    new one first in KEY_ENCRYPTION_KEY); then the old one can be dropped."""

    with ctx.app.app_context():
        counts = {
            "signing_keys": reseal_column(SigningKey.sealed_jwk),
            "mail_bodies": reseal_column(OutboxMessage.sealed_body),
            "refresh_answers": reseal_column(Token.retry_answer),
            "totp_secrets": reseal_column(TotpFactor.secret_sealed),
            "provider_secrets": reseal_column(UpstreamProvider.client_secret_sealed),
            "upstream_id_tokens": reseal_column(UpstreamSession.id_token_sealed),
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

    with ctx.app.app_context():
        counts = maintenance.run()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


def register(main: click.Group) -> None:
    main.add_command(keys)
    main.add_command(oidc_group)
    proconnect_cli.register(main)
