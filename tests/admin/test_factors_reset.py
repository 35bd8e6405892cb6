"""An administrator sees a person's second factors and resets them (the person lost their
phone): from the user page and from `compte users reset-factors`; audited and mailed."""

from __future__ import annotations

import json

from idp.accounts import factors
from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from idp.mail.worker import ensure_started
from tests.admin.conftest import csrf_token
from tests.support.factors import give_totp
from tests.support.mail import wait_for_mail

EMAIL = "lea.roy@exemple.fr"


def _events(app, event_type: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.type == event_type)))


def _enrolled(app, account_id: int) -> list[str]:
    with app.app_context():
        return factors.enrolled(db.session.get(Account, account_id))


def test_the_user_page_lists_the_factors_and_resets_them(
    app, admin_client, make_account, smtp_sink
):
    """The page says "Application d'authentification"; the reset removes it, says so, mails
    the person and records who did it."""
    lea = make_account(EMAIL, given_name="Léa")
    give_totp(app, lea)
    page = admin_client.get(f"/admin/users/{lea}").get_data(as_text=True)
    assert "Application d&#39;authentification" in page or "Application d'authentification" in page
    assert "Réinitialiser la vérification en deux étapes" in page
    response = admin_client.post(
        f"/admin/users/{lea}/reset-factors",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "la personne a été prévenue par courriel" in response.get_data(as_text=True)
    assert _enrolled(app, lea) == []
    mail = wait_for_mail(smtp_sink, EMAIL)
    assert "réinitialisées par un administrateur" in mail.subject
    event = _events(app, "admin.user.factors_reset")[-1]
    assert event.details["kinds"] == ["totp"] and event.details["via"] == "admin"


def test_reset_needs_the_csrf_token(app, admin_client, make_account):
    """Without its CSRF token the reset is refused and nothing is removed."""
    lea = make_account(EMAIL)
    give_totp(app, lea)
    assert admin_client.post(f"/admin/users/{lea}/reset-factors").status_code == 400
    assert _enrolled(app, lea) == ["totp"]


def test_the_console_resets_the_factors(app, cli, make_account, smtp_sink):
    """`compte users reset-factors EMAIL --json` removes them, mails, audits; an unknown
    address is a clear error."""
    lea = make_account(EMAIL)
    give_totp(app, lea)
    result = cli("users", "reset-factors", EMAIL, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"email": EMAIL, "removed": ["totp"]}
    assert _enrolled(app, lea) == []
    ensure_started(app)  # the mail worker of a running Compte delivers what was queued
    wait_for_mail(smtp_sink, EMAIL)
    assert _events(app, "admin.user.factors_reset")[-1].details["via"] == "cli"
    unknown = cli("users", "reset-factors", "nobody@exemple.fr")
    assert unknown.exit_code != 0 and "No account" in unknown.output


def test_clients_can_require_two_factors_from_the_console(cli):
    """`compte clients add --require-mfa` and `update --no-require-mfa` change what `show`
    says."""
    added = cli(
        "clients",
        "add",
        "--name",
        "Paie",
        "--redirect-uri",
        "https://paie.example/cb",
        "--require-mfa",
        "--json",
    )
    assert added.exit_code == 0, added.output
    client_id = json.loads(added.output)["client_id"]
    shown = json.loads(cli("clients", "show", client_id, "--json").output)
    assert shown["require_mfa"] is True
    cli("clients", "update", client_id, "--no-require-mfa")
    assert json.loads(cli("clients", "show", client_id, "--json").output)["require_mfa"] is False
