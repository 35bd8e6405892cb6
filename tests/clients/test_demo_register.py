"""`python -m clients.demo register`: the three services as clients of Compte, idempotent."""

from __future__ import annotations

import json
import stat
from urllib.parse import urlencode

from clients.demo import DEMO_ACCOUNT, ensure_demo_account, register
from idp.accounts.services import find_by_email
from idp.core.extensions import db
from idp.launcher.models import LauncherEntry
from idp.oidc.client_rules import check_secret
from idp.oidc.clients import delete_client, get_client


def test_register_creates_clients_and_launcher_entries(app, tmp_path):
    """Three first-party clients with callback, logout URIs, scopes, and launcher entries."""
    path = tmp_path / "demo-clients.json"
    stored = register(app, path)
    assert set(stored) == {"formadist", "cpf", "ecommunautes"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with app.app_context():
        client = get_client(stored["formadist"]["client_id"])
        assert client.redirect_uris == ["http://127.0.0.1:5001/auth/callback"]
        assert client.post_logout_redirect_uris == ["http://127.0.0.1:5001/logged-out"]
        assert client.backchannel_logout_uri == "http://127.0.0.1:5001/backchannel-logout"
        assert client.frontchannel_logout_uri == "http://127.0.0.1:5001/frontchannel-logout"
        assert client.first_party
        assert {"openid", "offline_access", "launcher"} <= set(client.scope.split())
        assert check_secret(client, stored["formadist"]["client_secret"])
        entries = db.session.scalars(db.select(LauncherEntry).order_by(LauncherEntry.position))
        assert [(e.name, e.url, e.icon_url) for e in entries] == [
            ("Formadist", "http://127.0.0.1:5001/", "/static/launcher/formadist.svg"),
            ("Mon Compte Formation", "http://127.0.0.1:5002/", "/static/launcher/cpf.svg"),
            ("E-communautés", "http://127.0.0.1:5003/", "/static/launcher/ecommunautes.svg"),
        ]


def test_the_login_page_shows_the_service_s_logo(app, client, tmp_path):
    """Coming from Formadist, Compte's login page names it and shows its logo (the launcher
    icon, served by Compte)."""
    stored = register(app, tmp_path / "demo-clients.json")
    authorize = "/oauth/authorize?" + urlencode(
        {
            "client_id": stored["formadist"]["client_id"],
            "redirect_uri": "http://127.0.0.1:5001/auth/callback",
            "response_type": "code",
            "scope": "openid",
        }
    )
    response = client.get("/login", query_string={"next": authorize})
    page = response.get_data(as_text=True)
    logo = app.config["ISSUER"] + "/static/launcher/formadist.svg"
    assert "Pour accéder à Formadist, connectez-vous." in page
    assert f'<img src="{logo}" alt="" height="40">' in page
    assert client.get("/static/launcher/formadist.svg").status_code == 200


def test_second_run_reuses_the_clients(app, tmp_path):
    """Running again keeps client ids and secrets; without the credentials file the
    clients are found again by their callback (new secrets); a deleted client is re-created."""
    path = tmp_path / "demo-clients.json"
    first = register(app, path)
    assert register(app, path) == first
    path.unlink()
    third = register(app, path)
    assert {k: v["client_id"] for k, v in third.items()} == {
        k: v["client_id"] for k, v in first.items()
    }
    with app.app_context():
        assert check_secret(get_client(third["cpf"]["client_id"]), third["cpf"]["client_secret"])
        delete_client(get_client(third["cpf"]["client_id"]))
        db.session.commit()
    fourth = register(app, path)
    assert fourth["cpf"]["client_id"] != third["cpf"]["client_id"]
    assert fourth["formadist"] == third["formadist"]
    assert json.loads(path.read_text()) == fourth
    with app.app_context():
        assert db.session.query(LauncherEntry).count() == 3


def test_demo_account_created_once(app):
    """The demo account is created confirmed on the first run only."""
    assert ensure_demo_account(app) is True
    assert ensure_demo_account(app) is False
    with app.app_context():
        assert find_by_email(DEMO_ACCOUNT["email"]).is_confirmed
