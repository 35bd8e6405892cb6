"""The personal-data export names the account's second factors (passkeys with their names
and dates, the authenticator app, recovery codes) and never holds a secret of them."""

from __future__ import annotations

import json

import pytest

from idp.accounts.export import export_account
from idp.accounts.factors import recovery
from idp.accounts.models import Account
from idp.core.extensions import db
from tests.support.accounts import make_account
from tests.support.factors import give_totp
from tests.support.passkey_flows import register
from tests.support.passkeys import SoftAuthenticator
from tests.support.sessions import signed_in

ORIGIN = "http://localhost"


@pytest.fixture
def settings(settings):
    return {**settings, "ISSUER": ORIGIN}


def test_the_export_lists_factors_without_their_secrets(app):
    """A passkey (name, dates, public key), the app and recovery codes are in the export;
    neither the app's sealed secret nor a recovery code or its digest is."""
    account_id = make_account(app)
    client = signed_in(app, account_id)
    assert register(client, SoftAuthenticator(ORIGIN), name="Téléphone").status_code == 200
    authenticator = give_totp(app, account_id)
    with app.test_request_context():
        account = db.session.get(Account, account_id)
        codes = recovery.generate(account)
        db.session.commit()
        data = export_account(account)
    text = json.dumps(data, ensure_ascii=False)
    other = data["other"]
    assert other["passkey"][0]["name"] == "Téléphone" and other["passkey"][0]["created_at"]
    assert len(other["recovery_code"]) == 10 and "code_hash" not in other["recovery_code"][0]
    assert other["totp_factor"][0]["confirmed_at"]
    assert "secret_sealed" not in other["totp_factor"][0]
    assert authenticator.secret not in text
    assert not any(code in text or code.replace("-", "") in text for code in codes)
