"""A person's activity ("Activité récente" on the profile, "Mes données"): events in words,
with the application's name, at the organisation's time (TIME_ZONE, Europe/Paris by
default), never an event code nor UTC."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from idp import create_app
from idp.accounts.services import create_account
from idp.audit.models import AuditEvent
from idp.core.config import ConfigError
from idp.core.extensions import db
from idp.oidc.clients import create_client
from tests.support.sessions import signed_in

# 30 November 2026, 21:07 UTC: 22:07 in Paris (winter time), 18:07 in Cayenne.
AT = datetime(2026, 11, 30, 21, 7)


def _visible(html: str) -> str:
    """The page's text as a person reads it (tags and their attributes left out)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _history(app) -> int:
    """An account with a sign-in to a service and a refused password change, at AT."""
    with app.app_context():
        account = create_account(
            email="lea@exemple.fr",
            password="Activite-Compte-2026!",
            given_name="Léa",
            family_name="Martin",
            confirmed=True,
        )
        client, _ = create_client("Formadist", redirect_uris=["https://rp.example/cb"])
        db.session.flush()
        for kind, details in (
            ("token.issued", {"grant_type": "authorization_code", "scope": "openid email"}),
            ("password.change_failed", {"reason": "wrong_current"}),
        ):
            db.session.add(
                AuditEvent(
                    type=kind,
                    account_id=account.id,
                    client_id=client.client_id if kind.startswith("token") else None,
                    details=details,
                    created_at=AT,
                )
            )
        db.session.commit()
        return account.id


@pytest.mark.parametrize("path", ["/account", "/account/data"])
def test_activity_is_in_words_with_names_at_paris_time(app, path):
    """The profile and "Mes données" say "Connexion à une application : Formadist" and
    "Changement du mot de passe refusé" on "30 novembre 2026 à 22 h 07": no code, no UTC."""
    account_id = _history(app)
    page = _visible(signed_in(app, account_id).get(path).get_data(as_text=True))
    assert "Connexion à une application" in page and "Formadist" in page
    assert "Changement du mot de passe refusé" in page
    assert "30 novembre 2026 à 22 h 07" in page
    assert "token.issued" not in page and "password.change_failed" not in page
    assert "UTC" not in page and "21:07" not in page


def test_the_time_zone_setting_changes_the_times_shown(settings, tmp_path: Path):
    """TIME_ZONE = "America/Cayenne" shows the same event at 18 h 07; a misspelt zone
    stops the start with a clear message."""
    app = create_app(dict(settings, TIME_ZONE="America/Cayenne"), instance_path=str(tmp_path))
    with app.app_context():
        db.create_all()
    account_id = _history(app)
    page = _visible(signed_in(app, account_id).get("/account/data").get_data(as_text=True))
    assert "30 novembre 2026 à 18 h 07" in page
    with pytest.raises(ConfigError, match="TIME_ZONE"):
        create_app(dict(settings, TIME_ZONE="Europe/Pariss"), instance_path=str(tmp_path))
