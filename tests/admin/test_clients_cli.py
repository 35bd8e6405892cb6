"""`compte admins …` and `compte clients list|show|update|rotate-secret|disable|enable|
remove|token` through click's CliRunner on the test app (real database, audit)."""

from __future__ import annotations

import json

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.core.digest import secret_digest
from idp.core.extensions import db
from idp.launcher.models import LauncherEntry
from idp.oidc.clients import create_client, get_client
from idp.oidc.models import InitialAccessToken


def make_client(app, name: str = "Formadist", **kwargs) -> str:
    with app.app_context():
        client, _ = create_client(
            name=name, redirect_uris=["https://formadist.example/cb"], **kwargs
        )
        db.session.commit()
        return client.client_id


def event_types(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent.type).order_by(AuditEvent.id)))


def test_admins_add_and_remove(app, cli, make_account):
    """`compte admins add EMAIL` grants the admin role, `remove` takes it back; audited."""
    account_id = make_account("chef@compte.example")
    result = cli("admins", "add", "Chef@Compte.example", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "email": "chef@compte.example",
        "is_admin": True,
        "changed": True,
    }
    with app.app_context():
        assert db.session.get(Account, account_id).is_admin is True
    assert "chef@compte.example" in cli("admins", "list").output
    result = cli("admins", "remove", "chef@compte.example")
    assert result.exit_code == 0 and "no longer" in result.output
    with app.app_context():
        assert db.session.get(Account, account_id).is_admin is False
    assert event_types(app)[-2:] == ["admin.granted", "admin.revoked"]


def test_admins_add_unknown_email_fails_clearly(cli):
    """An unknown e-mail is an error with a message, not a traceback."""
    result = cli("admins", "add", "nobody@compte.example")
    assert result.exit_code == 1
    assert "No account" in result.output


def test_list_and_show(app, cli):
    """`list --json` and `show --json` print every setting but never a secret."""
    client_id = make_client(app, first_party=True)
    rows = json.loads(cli("clients", "list", "--json").output)
    assert [(r["client_id"], r["name"], r["first_party"]) for r in rows] == [
        (client_id, "Formadist", True)
    ]
    shown = json.loads(cli("clients", "show", client_id, "--json").output)
    assert shown["redirect_uris"] == ["https://formadist.example/cb"]
    assert shown["has_secret"] is True
    assert "client_secret" not in shown
    assert client_id in cli("clients", "list").output
    assert cli("clients", "show", "nope").exit_code == 1


def test_update_settings_and_launcher_entry(app, cli):
    """`update` changes only the options given, sets the launcher entry; audited."""
    client_id = make_client(app)
    result = cli(
        "clients", "update", client_id,
        "--name", "Formadist 2",
        "--redirect-uri", "https://formadist.example/cb2",
        "--redirect-uri", "http://127.0.0.1:5001/cb",
        "--scope", "openid", "--scope", "email",
        "--pairwise", "--id-token-alg", "ES256",
        "--backchannel-logout-uri", "https://formadist.example/bc",
        "--launcher-url", "https://formadist.example/",
        "--launcher-position", "5",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["name"] == "Formadist 2"
    assert data["redirect_uris"] == ["https://formadist.example/cb2", "http://127.0.0.1:5001/cb"]
    assert (data["scopes"], data["subject_type"], data["id_token_alg"]) == (
        ["openid", "email"],
        "pairwise",
        "ES256",
    )
    assert data["launcher"]["url"] == "https://formadist.example/"
    assert data["launcher"]["name"] == "Formadist 2"
    with app.app_context():
        entry = db.session.scalar(db.select(LauncherEntry).filter_by(client_id=client_id))
        assert entry.position == 5
    assert "admin.client.updated" in event_types(app)


def test_update_refuses_bad_input(app, cli):
    """Bad input is refused with the rule's message and nothing changes: a fragment, http
    outside localhost, a duplicate name, private_key_jwt without keys."""
    client_id = make_client(app)
    make_client(app, name="Cpf")
    cases = [
        (["--redirect-uri", "https://formadist.example/cb#x"], "fragment"),
        (["--redirect-uri", "http://formadist.example/cb"], "https://"),
        (["--name", "CPF"], "porte déjà ce nom"),
        (["--auth-method", "private_key_jwt"], "jwks"),
        (["--scope", "everything"], "inconnue"),
    ]
    for args, message in cases:
        result = cli("clients", "update", client_id, *args)
        assert result.exit_code == 1, args
        assert message in result.output, (args, result.output)
    with app.app_context():
        client = get_client(client_id)
        assert client.name == "Formadist"
        assert client.redirect_uris == ["https://formadist.example/cb"]
        assert client.token_endpoint_auth_method == "client_secret_basic"


def test_rotate_secret_prints_it_once_and_stores_its_hash(app, cli):
    """`rotate-secret --json` prints the new secret; only its SHA-256 is stored."""
    client_id = make_client(app)
    result = cli("clients", "rotate-secret", client_id, "--json")
    secret = json.loads(result.output)["client_secret"]
    with app.app_context():
        assert get_client(client_id).client_secret_hash == secret_digest(secret)
    assert "admin.client.secret_rotated" in event_types(app)
    public_id = make_client(app, name="Public", auth_method="none")
    refused = cli("clients", "rotate-secret", public_id)
    assert refused.exit_code == 1 and "secret" in refused.output


def test_disable_enable_remove(app, cli):
    """disable / enable / remove (with --yes, or confirmed) work and are audited."""
    client_id = make_client(app)
    assert json.loads(cli("clients", "disable", client_id, "--json").output)["disabled"] is True
    with app.app_context():
        assert get_client(client_id).disabled is True
    assert json.loads(cli("clients", "enable", client_id, "--json").output)["disabled"] is False
    aborted = cli("clients", "remove", client_id, input="n\n")
    assert aborted.exit_code == 1
    with app.app_context():
        assert get_client(client_id) is not None
    assert cli("clients", "remove", client_id, "--yes", "--json").exit_code == 0
    with app.app_context():
        assert get_client(client_id) is None
    assert event_types(app)[-3:] == [
        "admin.client.disabled",
        "admin.client.enabled",
        "admin.client.deleted",
    ]


def test_token_issues_an_initial_access_token(app, cli):
    """`clients token --json` prints a token once and stores its hash, expiry and uses."""
    result = cli("clients", "token", "--expires-in", "2", "--max-uses", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["registration_endpoint"].endswith("/oauth/register")
    with app.app_context():
        row = db.session.scalar(db.select(InitialAccessToken))
        assert row.token_hash == secret_digest(data["initial_access_token"])
        assert row.max_uses == 3 and row.usable()
    assert "admin.initial_access_token.created" in event_types(app)
    unlimited = json.loads(cli("clients", "token", "--unlimited", "--json").output)
    assert unlimited["max_uses"] is None


def test_add_then_show_update_remove(app, cli):
    """The whole CLI life of a client: `add --json` (OIDC area) then show, update, remove."""
    added = cli(
        "clients", "add", "--name", "Cpf",
        "--redirect-uri", "http://127.0.0.1:5002/auth/callback",
        "--launcher-url", "http://127.0.0.1:5002/", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    created = json.loads(added.output)
    client_id = created["client_id"]
    with app.app_context():
        assert get_client(client_id).client_secret_hash == secret_digest(created["client_secret"])
    shown = json.loads(cli("clients", "show", client_id, "--json").output)
    assert shown["launcher"]["url"] == "http://127.0.0.1:5002/"
    hidden = cli("clients", "update", client_id, "--launcher-hidden", "--json")
    assert json.loads(hidden.output)["launcher"]["visible"] is False
    assert cli("clients", "remove", client_id, "--yes").exit_code == 0
    assert json.loads(cli("clients", "list", "--json").output) == []
