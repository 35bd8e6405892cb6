"""Client rules and CRUD (idp.oidc.clients) and `compte clients add`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from idp.cli import main
from idp.core.cli import AppContext
from idp.core.extensions import db
from idp.oidc import clients
from idp.oidc.client_rules import ClientError, check_secret, validate_redirect_uri


@pytest.mark.parametrize(
    "uri",
    [
        "https://formadist.example.fr/callback",
        "http://localhost:5001/callback",
        "http://127.0.0.1:5002/auth?x=1",
        "http://[::1]:8000/cb",
    ],
)
def test_acceptable_redirect_uris(uri):
    """https anywhere, http only on the loopback."""
    assert validate_redirect_uri(uri) is None


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("http://formadist.example.fr/cb", "https://"),
        ("https://formadist.example.fr/cb#frag", "fragment"),
        ("/callback", "adresse complète"),
        ("javascript:alert(1)", "adresse complète"),
        ("", "vide"),
        ("https://a.example/ cb", "espace"),
    ],
)
def test_refused_redirect_uris_explain_why(uri, words):
    """Refusals come with a French message that says what to fix."""
    message = validate_redirect_uri(uri)
    assert message and words in message


def test_create_client_hashes_the_secret(app):
    """The plain secret is returned once; only its SHA-256 is stored; checks are exact."""
    with app.app_context():
        client, secret = clients.create_client("Formadist", ["https://f.example/cb"])
        db.session.commit()
        assert secret and secret not in (client.client_secret_hash or "")
        assert len(client.client_secret_hash) == 64
        assert check_secret(client, secret)
        assert not check_secret(client, secret[:-1])
        assert "nir" not in client.scope.split()


def test_public_and_private_key_clients_have_no_secret(app):
    """auth method none / private_key_jwt: no secret; private_key_jwt needs keys."""
    with app.app_context():
        public, secret = clients.create_client(
            "SPA", ["http://localhost:3000/cb"], auth_method="none"
        )
        assert secret is None and public.client_secret_hash is None
        with pytest.raises(ClientError) as error:
            clients.create_client("Signed", ["https://s.example/cb"], auth_method="private_key_jwt")
        assert error.value.field == "jwks"


def test_client_rules(app):
    """Inconsistent settings are refused with the offending field named."""
    with app.app_context():
        cases = [
            (dict(name=""), "name"),
            (dict(name="X", redirect_uris=[]), "redirect_uris"),
            (dict(name="X", redirect_uris=["http://evil.example/cb"]), "redirect_uris"),
            (dict(name="X", redirect_uris=["https://x.example/cb"], scopes=["root"]), "scopes"),
            (
                dict(
                    name="X",
                    redirect_uris=["https://x.example/cb"],
                    auth_method="none",
                    grant_types=["client_credentials"],
                ),
                "grant_types",
            ),
            (
                dict(name="X", redirect_uris=["https://x.example/cb"], id_token_alg="HS256"),
                "id_token_alg",
            ),
        ]
        for kwargs, field in cases:
            with pytest.raises(ClientError) as error:
                clients.create_client(**kwargs)
            assert error.value.field == field, kwargs


def test_update_rotate_disable_delete(app):
    """update_client validates, rotate_secret replaces the secret, delete removes all."""
    with app.app_context():
        client, secret = clients.create_client("Formadist", ["https://f.example/cb"])
        db.session.commit()
        clients.update_client(client, name="Formadist 2", scopes="openid email nir")
        assert client.name == "Formadist 2" and "nir" in client.scope.split()
        with pytest.raises(ClientError):
            clients.update_client(client, redirect_uris=["ftp://x"])
        db.session.rollback()
        new_secret = clients.rotate_secret(client)
        assert check_secret(client, new_secret) and not check_secret(client, secret)
        clients.set_disabled(client, True)
        assert client.disabled
        client_id = client.client_id
        clients.delete_client(client)
        db.session.commit()
        assert clients.get_client(client_id) is None


def test_compte_clients_add_json(app):
    """`compte clients add … --json` prints client_id and client_secret, and the launcher
    entry is created with --launcher-url."""
    ctx = AppContext()
    ctx._app = app
    result = CliRunner().invoke(
        main,
        [
            "clients",
            "add",
            "--name",
            "Formadist",
            "--redirect-uri",
            "http://localhost:5001/auth/callback",
            "--post-logout-redirect-uri",
            "http://localhost:5001/",
            "--backchannel-logout-uri",
            "http://localhost:5001/backchannel-logout",
            "--launcher-url",
            "http://localhost:5001/",
            "--launcher-description",
            "Mes formations",
            "--scope",
            "openid",
            "--scope",
            "profile email offline_access",
            "--first-party",
            "--json",
        ],
        obj=ctx,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"client_id", "client_secret"} and data["client_secret"]
    with app.app_context():
        client = clients.get_client(data["client_id"])
        assert client.first_party and client.backchannel_logout_uri.endswith("/backchannel-logout")
        assert client.scope == "openid profile email offline_access"
        assert check_secret(client, data["client_secret"])
        from idp.launcher.services import entry_for_client

        entry = entry_for_client(data["client_id"])
        assert entry is not None and entry.url == "http://localhost:5001/"


def test_compte_clients_add_refuses_bad_uri(app):
    """A bad redirect URI ends the command with the French explanation."""
    ctx = AppContext()
    ctx._app = app
    result = CliRunner().invoke(
        main, ["clients", "add", "--name", "X", "--redirect-uri", "http://x.example/cb"], obj=ctx
    )
    assert result.exit_code != 0 and "https://" in result.output
