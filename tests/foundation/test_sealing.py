"""Secrets at rest: what the database keeps sealed (signing keys, mail bodies) cannot be
read from a dump, opens with the key-encryption key, survives a KEK rotation, and an
older database is sealed by its migration."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from idp import create_app
from idp.core.config import ConfigError
from idp.core.extensions import db
from idp.core.sealing import Sealer, SealError
from idp.mail.models import OutboxMessage
from idp.oidc.models import SigningKey

KEK_OLD = "old-key-encryption-key-of-at-least-32-characters"
KEK_NEW = "new-key-encryption-key-of-at-least-32-characters"


def test_sealed_values_open_only_with_a_configured_key():
    """A value sealed under a KEK opens with it (as a later key too), not without it."""
    sealed = Sealer([KEK_OLD], "secret").seal("lien https://x/password/reset/abc")
    assert "reset" not in sealed
    assert Sealer([KEK_NEW, KEK_OLD], "secret").unseal(sealed).endswith("/abc")
    with pytest.raises(SealError):
        Sealer([KEK_NEW], "secret").unseal(sealed)


def test_without_kek_the_secret_key_derives_one():
    """No KEK configured: sealing still works, under a key derived from SECRET_KEY."""
    sealer = Sealer([], "secret-1")
    assert not sealer.dedicated
    assert sealer.unseal(sealer.seal("x")) == "x"
    with pytest.raises(SealError):
        Sealer([], "secret-2").unseal(sealer.seal("x"))


def test_a_short_kek_stops_the_start_with_a_clear_message(settings, tmp_path):
    """A KEK under 32 characters is refused when the app starts, saying how to make one."""
    with pytest.raises(ConfigError, match="compte keys new-kek"):
        create_app({**settings, "KEY_ENCRYPTION_KEY": "short"}, instance_path=str(tmp_path))


def _dump(app) -> str:
    """Everything the secret-holding tables contain, as a database dump would show it."""
    with app.app_context():
        rows = []
        for table in ("oauth_signing_key", "outbox_message"):
            rows += [
                repr(tuple(row)) for row in db.session.execute(sa.text(f"SELECT * FROM {table}"))
            ]
        return "\n".join(rows)


def test_a_database_dump_shows_no_private_key_and_no_live_link(app, smtp_sink):
    """Signing keys and queued mails are sealed: a dump has no private JWK member and no
    reset link, while the app signs and sends normally."""
    from idp.accounts.profile import request_reset
    from idp.accounts.services import create_account
    from idp.maintenance import stop_background
    from idp.oidc.keys import keyring

    stop_background(app)
    app.config["MAIL_WORKER"] = False  # keep the mail queued, as while SMTP is down
    with app.app_context(), app.test_request_context():
        keyring()
        create_account(
            email="ivan@example.fr",
            password="Formation#2026",
            given_name="Ivan",
            family_name="Pierre",
            confirmed=True,
        )
        db.session.commit()
        request_reset("ivan@example.fr")
    dump = _dump(app)
    assert "/password/reset/" not in dump and "Bonjour" not in dump
    assert '"d"' not in dump and "'d'" not in dump  # the private exponent of a JWK
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SigningKey.id))) == 2
        assert db.session.scalar(db.select(OutboxMessage.status)) == "pending"


def test_kek_rotation_with_rewrap(settings, tmp_path, smtp_sink):
    """New KEK first, old one kept: everything still opens; `compte keys rewrap` seals it
    all under the new one; then the old KEK can go and the app still signs."""
    from idp.cli import main
    from idp.core.cli import AppContext
    from idp.oidc.keys import invalidate, keyring

    def app_with(kek: str):
        app = create_app(
            {**settings, "KEY_ENCRYPTION_KEY": kek, "MAIL_WORKER": False},
            instance_path=str(tmp_path / "instance"),
        )
        with app.app_context():
            db.create_all()
        return app

    first = app_with(KEK_OLD)
    with first.app_context():
        kids = {alg: key.kid for alg, key in keyring().signing.items()}
    both = app_with(f"{KEK_NEW},{KEK_OLD}")
    with both.app_context():
        assert {alg: key.kid for alg, key in keyring().signing.items()} == kids
    context = AppContext()
    context._app = both
    result = CliRunner().invoke(main, ["keys", "rewrap"], obj=context)
    assert result.exit_code == 0, result.output
    assert "signing_keys: 2" in result.output
    listing = CliRunner().invoke(main, ["keys", "list"], obj=context).output
    assert both.extensions["compte.sealing"].fingerprints[0] in listing

    only_new = app_with(KEK_NEW)
    with only_new.app_context():
        invalidate()
        assert {alg: key.kid for alg, key in keyring().signing.items()} == kids
    for app in (first, both, only_new):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_migration_seals_an_older_database(tmp_path):
    """`compte db upgrade` on a database of the previous schema seals its private keys and
    waiting mail bodies, drops delivered bodies, and the app then signs and reads them."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    jwk = {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB", "d": "SECRETD", "kid": "k1"}
    code = f"""
import json
import sqlalchemy as sa
from alembic import command
from idp import create_app
from idp.cli import alembic_config
from idp.core.extensions import db
app = create_app(instance_path={str(tmp_path / "instance")!r})
cfg = alembic_config(app)
command.upgrade(cfg, "e13fc6d7629d")
with app.app_context(), db.engine.begin() as c:
    c.execute(sa.text("INSERT INTO oauth_signing_key (kid, alg, private_jwk, created_at) "
                      "VALUES ('k1', 'ES256', :jwk, '2026-01-01 00:00:00')"),
              {{"jwk": json.dumps({jwk!r})}})
    for sent in (None, '2026-01-01 00:00:00'):
        c.execute(sa.text("INSERT INTO outbox_message (created_at, recipients, subject, "
                          "text_body, attempts, next_attempt_at, sent_at) VALUES "
                          "('2026-01-01 00:00:00', '[\\"a@b.fr\\"]', 's', "
                          "'https://x/password/reset/LIVE', 0, '2026-01-01 00:00:00', :sent)"),
                  {{"sent": sent}})
command.upgrade(cfg, "head")
"""
    env = {"COMPTE_DATABASE_URL": url, "COMPTE_SECRET_KEY": "x", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        dump = repr(connection.execute(sa.text("SELECT * FROM oauth_signing_key")).all())
        dump += repr(connection.execute(sa.text("SELECT * FROM outbox_message")).all())
        sealed = connection.execute(
            sa.text("SELECT sealed_body FROM outbox_message WHERE status = 'pending'")
        ).scalar_one()
        sent_body = connection.execute(
            sa.text("SELECT sealed_body FROM outbox_message WHERE status = 'sent'")
        ).scalar_one()
        sealed_jwk = connection.execute(
            sa.text("SELECT sealed_jwk FROM oauth_signing_key")
        ).scalar()
    engine.dispose()
    assert "SECRETD" not in dump and "LIVE" not in dump
    assert sent_body is None
    opener = Sealer([], "x")
    assert json.loads(opener.unseal(sealed))["text"].endswith("/password/reset/LIVE")
    assert json.loads(opener.unseal(sealed_jwk))["d"] == "SECRETD"
