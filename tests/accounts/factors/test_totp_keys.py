"""Authenticator-app secrets and the key-encryption key: sealed under the KEK, and sealed
again under a new one by `compte keys rewrap`, after which the app's codes still pass."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from idp import create_app
from idp.accounts.factors import totp
from idp.accounts.models import Account
from idp.cli import main
from idp.core.cli import AppContext
from idp.core.extensions import db
from idp.core.sealing import Sealer
from tests.support.accounts import make_account
from tests.support.factors import code_at, enrol_totp, freeze_totp_clock

KEK_OLD = "old-key-encryption-key-of-at-least-32-characters"
KEK_NEW = "new-key-encryption-key-of-at-least-32-characters"
STEP = 1_900_000_000 // totp.STEP


def _app(settings, tmp_path, kek: str):
    app = create_app(
        {**settings, "KEY_ENCRYPTION_KEY": kek, "MAIL_WORKER": False},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        db.create_all()
    return app


def _raw_secret(app) -> str:
    with app.app_context():
        return db.session.execute(sa.text("SELECT secret_sealed FROM totp_factor")).scalar_one()


def test_rewrap_seals_the_secrets_under_the_new_key(settings, tmp_path, monkeypatch):
    """After a KEK rotation and `compte keys rewrap`, the secret opens with the new KEK
    alone, and the app's next code is still accepted."""
    freeze_totp_clock(monkeypatch, STEP)
    first = _app(settings, tmp_path, KEK_OLD)
    account_id = make_account(first)
    secret = enrol_totp(first, account_id)
    assert Sealer([KEK_OLD], "unused").unseal(_raw_secret(first)) == secret

    both = _app(settings, tmp_path, f"{KEK_NEW},{KEK_OLD}")
    context = AppContext()
    context._app = both
    result = CliRunner().invoke(main, ["keys", "rewrap"], obj=context)
    assert result.exit_code == 0, result.output
    assert "totp_secrets: 1" in result.output
    assert Sealer([KEK_NEW], "unused").unseal(_raw_secret(both)) == secret

    only_new = _app(settings, tmp_path, KEK_NEW)
    with only_new.app_context():
        account = db.session.get(Account, account_id)
        assert totp.verify(account, code_at(secret, STEP + 1))
        db.session.commit()
    for app in (first, both, only_new):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
