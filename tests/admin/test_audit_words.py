"""The admin audit page and user page read in words: event labels (the code on hover),
application names (the client_id on hover), times at the organisation's time zone."""

from __future__ import annotations

import re
from datetime import datetime

from idp.audit.models import AuditEvent
from idp.core.extensions import db
from idp.oidc.clients import create_client

AT = datetime(2026, 11, 30, 21, 7)  # 22:07 in Paris


def _visible(html: str) -> str:
    """The page's text as a person reads it (tags and their attributes left out)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _sign_in_to_formadist(app, account_id: int) -> str:
    with app.app_context():
        client, _ = create_client("Formadist", redirect_uris=["https://rp.example/cb"])
        for grant in ("authorization_code", "refresh_token"):
            db.session.add(
                AuditEvent(
                    type="token.issued",
                    account_id=account_id,
                    client_id=client.client_id,
                    details={"grant_type": grant},
                    created_at=AT,
                )
            )
        db.session.commit()
        return client.client_id


def test_audit_page_shows_labels_names_and_paris_time(app, admin_client, make_account):
    """The audit log lists "Connexion à une application" / "Accès renouvelé…" for Formadist
    at "30 novembre 2026 à 22 h 07"; the codes are on hover only, never doubled."""
    client_id = _sign_in_to_formadist(app, make_account("lea@exemple.fr"))
    html = admin_client.get("/admin/audit", query_string={"account": "lea@exemple.fr"})
    html = html.get_data(as_text=True)
    page = _visible(html)
    assert "Connexion à une application" in page
    assert "Accès renouvelé par une application" in page
    assert "Formadist" in page and client_id not in page
    assert f'title="{client_id}">Formadist</a>' in html
    assert 'title="token.issued">' in html
    assert "30 novembre 2026 à 22 h 07" in page
    assert "token.issued" not in page and "UTC" not in page


def test_user_page_activity_in_words(app, admin_client, make_account):
    """The admin's page of an account: "Connexion à une application", "Formadist", 22 h 07;
    no "token.issued token.issued", no client id, no UTC."""
    account_id = make_account("lea@exemple.fr")
    client_id = _sign_in_to_formadist(app, account_id)
    page = _visible(admin_client.get(f"/admin/users/{account_id}").get_data(as_text=True))
    assert "Connexion à une application" in page and "Formadist" in page
    assert "30 novembre 2026 à 22 h 07" in page
    assert "token.issued" not in page and client_id not in page and "UTC" not in page


def test_audit_period_is_in_paris_days(app, admin_client, make_account):
    """Filtering from 1 December finds an event of 30 November 23:30 UTC, which is
    1 December 00:30 in Paris; until 30 November leaves it out."""
    account_id = make_account("lea@exemple.fr")
    with app.app_context():
        db.session.add(
            AuditEvent(
                type="login.succeeded",
                account_id=account_id,
                created_at=datetime(2026, 11, 30, 23, 30),
            )
        )
        db.session.commit()

    def found(**query) -> bool:
        html = admin_client.get("/admin/audit", query_string=query).get_data(as_text=True)
        return 'title="login.succeeded"' in html

    assert found(since="2026-12-01", until="2026-12-01")
    assert not found(since="2026-11-30", until="2026-11-30")
