"""The catalogue of account mails (idp/accounts/mails.py), kind by kind, through the
flows that send them: subject, recipients and the links each mail carries.

Link tokens are made predictable (one per purpose) so that the links can be compared
whole; mails are read back from the outbox (no delivery worker in these tests)."""

from __future__ import annotations

import json
import secrets

import pytest

from idp.accounts import links, profile, registration
from idp.accounts.models import Account
from idp.accounts.services import create_account
from idp.admin import invitations
from idp.admin.views import users as users_views
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.sealing import unseal
from idp.launcher.services import set_entry
from idp.mail.models import OutboxMessage
from idp.oidc.clients import create_client

PASSWORD = "Catalogue-Compte-2026!"
NEW_PASSWORD = "Catalogue-Nouveau-2026!"
PRIMARY = "ivan@exemple.fr"
SECONDARY = "ivan.perso@exemple.net"


@pytest.fixture
def settings(settings):
    # The mails stay in the outbox, bodies included, to be read back.
    return {**settings, "MAIL_WORKER": False}


@pytest.fixture
def ctx(app, monkeypatch):
    """A request context with predictable link tokens and one launcher service."""
    monkeypatch.setattr(links, "make_token", lambda purpose, data: f"{purpose}-token")
    with app.test_request_context():
        client, _secret = create_client(
            name="Formadist", redirect_uris=["http://127.0.0.1:5001/cb"], first_party=True
        )
        set_entry(
            client.client_id, name="Formadist", url="http://127.0.0.1:5001/", description="FAD"
        )
        db.session.commit()
        app.config["TEST_CLIENT_ID"] = client.client_id
        yield app


def _account(*, confirmed: bool = True, secondary: str | None = None) -> Account:
    account = create_account(
        email=PRIMARY,
        password=PASSWORD,
        given_name="Ivan",
        family_name="Pierre",
        confirmed=confirmed,
    )
    if secondary:
        account.secondary_email, account.secondary_email_confirmed_at = secondary, utcnow()
    db.session.commit()
    return account


def _mails() -> list[dict]:
    rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
    mails = []
    for row in rows:
        body = json.loads(unseal(row.sealed_body))
        mails.append(
            {
                "template": row.template,
                "to": list(row.recipients),
                "subject": row.subject,
                "text": body["text"],
                "html": body["html"],
            }
        )
    return mails


def _only_mail() -> dict:
    mails = _mails()
    assert len(mails) == 1, mails
    return mails[0]


def _links(mail: dict) -> list[str]:
    return [line for line in mail["text"].splitlines() if line.startswith("http")]


def _url(app, path: str) -> str:
    return app.config["ISSUER"] + path


def _data(**fields) -> registration.RegistrationData:
    return registration.RegistrationData(
        email=PRIMARY, password=PASSWORD, given_name="Ivan", family_name="Pierre", **fields
    )


def _confirmation_expected(app, mail: dict) -> None:
    assert mail["template"] == "registration_confirm"
    assert mail["to"] == [PRIMARY]
    assert mail["subject"] == f"Confirmez la création de votre compte {app.config['SERVICE_NAME']}"
    assert _links(mail) == [_url(app, "/register/confirm/confirm-token")]
    assert "- Formadist : FAD" in mail["text"] and "72 heures" in mail["text"]


def test_registration_mails_the_confirmation_link(ctx):
    registration.register(_data())
    _confirmation_expected(ctx, _only_mail())


def test_resending_mails_the_confirmation_link_again(ctx):
    account = _account(confirmed=False)
    assert registration.resend(account.email)
    _confirmation_expected(ctx, _only_mail())


def test_the_admin_resends_the_confirmation_link(ctx):
    account = _account(confirmed=False)
    users_views.resend_confirmation(account, actor=account)
    _confirmation_expected(ctx, _only_mail())


def test_a_known_address_gets_the_account_exists_notice_at_both_its_addresses(ctx):
    _account(secondary=SECONDARY)
    registration.register(_data())
    mail = _only_mail()
    assert mail["template"] == "account_exists"
    assert mail["to"] == sorted([PRIMARY, SECONDARY])
    assert mail["subject"] == "Tentative de création de compte avec votre adresse"
    assert _links(mail) == [_url(ctx, "/login?identifier=ivan@exemple.fr")]


def test_a_pending_address_gets_the_notice_with_a_fresh_confirmation_link(ctx):
    _account(confirmed=False)
    registration.register(_data())
    mail = _only_mail()
    assert mail["template"] == "account_exists"
    assert mail["to"] == [PRIMARY]
    assert mail["subject"] == "Tentative de création de compte avec votre adresse"
    assert _links(mail) == [_url(ctx, "/register/confirm/confirm-token")]


def test_a_reset_request_mails_the_link_to_both_addresses(ctx):
    _account(secondary=SECONDARY)
    profile.request_reset(PRIMARY)
    assert profile.request_reset("nobody@exemple.fr") is None  # prepared, never stored
    mail = _only_mail()
    assert mail["template"] == "password_reset"
    assert mail["to"] == sorted([PRIMARY, SECONDARY])
    assert mail["subject"] == "Réinitialisation de votre mot de passe"
    assert _links(mail) == [_url(ctx, "/password/reset/reset-token")]
    assert "60 minutes" in mail["text"]


def test_the_admin_sends_the_reset_link(ctx):
    account = _account()
    users_views.send_reset(account, actor=account)
    mail = _only_mail()
    assert (mail["template"], mail["to"]) == ("password_reset", [PRIMARY])
    assert _links(mail) == [_url(ctx, "/password/reset/reset-token")]


def _password_changed_expected(app, mail: dict) -> None:
    assert mail["template"] == "password_changed"
    assert mail["to"] == sorted([PRIMARY, SECONDARY])
    assert mail["subject"] == "Votre mot de passe a été changé"
    assert _links(mail) == [_url(app, "/password/forgot")]


def test_a_password_change_notice_goes_to_both_addresses(ctx):
    account = _account(secondary=SECONDARY)
    profile.change_password(account, PASSWORD, NEW_PASSWORD)
    _password_changed_expected(ctx, _only_mail())


def test_a_password_reset_sends_the_change_notice(ctx, monkeypatch):
    account = _account(secondary=SECONDARY)
    profile.request_reset(PRIMARY)
    epoch = {"a": account.id, "e": account.session_epoch}
    monkeypatch.setattr(links, "read_token", lambda purpose, token, max_age: epoch)
    profile.reset_password("reset-token", NEW_PASSWORD)
    reset, changed = _mails()
    assert reset["template"] == "password_reset"
    _password_changed_expected(ctx, changed)


def test_a_secondary_address_gets_its_confirmation_link(ctx):
    account = _account()
    profile.set_secondary(account, SECONDARY, PASSWORD)
    mail = _only_mail()
    assert mail["template"] == "secondary_confirm"
    assert mail["to"] == [SECONDARY]
    assert mail["subject"] == "Confirmez votre courriel secondaire"
    assert _links(mail) == [_url(ctx, "/account/emails/confirm/secondary-token")]
    assert "72 heures" in mail["text"]


@pytest.mark.parametrize("known", [False, True])
def test_an_invitation_mails_its_link(ctx, monkeypatch, known):
    if known:
        _account()
    monkeypatch.setattr(secrets, "token_urlsafe", lambda nbytes=None: "invitation-token")
    invitation, _message = invitations.invite(email=PRIMARY, client_id=ctx.config["TEST_CLIENT_ID"])
    invitations.resend(invitation)
    first, again = _mails()
    assert first["text"] == again["text"] and first["html"] == again["html"]
    assert first["template"] == "invitation"
    assert first["to"] == [PRIMARY]
    assert first["subject"] == "Invitation : accédez à Formadist"
    assert _url(ctx, "/invitation/invitation-token") in _links(first)
