"""`compte providers add|list|show|update|disable|enable|remove` and the service behind it
(idp/federation/providers.py): kind defaults, checks with clear one-line errors, JSON with
the addresses to register upstream, the client secret sealed and never printed nor logged,
every change audited."""

from __future__ import annotations

import json
import logging

import pytest
from click.testing import CliRunner

from idp import create_app
from idp.cli import main
from idp.core.cli import AppContext
from idp.core.extensions import db
from idp.core.sealing import Sealer, unseal
from idp.federation import providers
from idp.federation.models import UpstreamProvider
from tests.support.accounts import events

SECRET = "s3cret-de-france-connect-0123456789"
FC = ["--issuer", "https://fcp-low.integ01.dev-franceconnect.fr/api/v2", "--client-id", "abc"]


def add(cli, *extra: str, name: str = "franceconnect", input: str | None = None):
    return cli("providers", "add", "--name", name, *FC, *extra, input=input)


def stored_secret(app, name: str) -> str | None:
    with app.app_context():
        return db.session.scalar(
            db.select(UpstreamProvider.client_secret_sealed).where(UpstreamProvider.name == name)
        )


def test_add_franceconnect_with_its_defaults(app, cli, caplog):
    """--kind franceconnect: its label, pivot-identity scope and eidas1; --json prints the
    redirect_uri to register, says a secret is kept, and never shows it; the secret is
    sealed in the database and absent from the logs; the addition is audited."""
    caplog.set_level(logging.DEBUG)
    result = add(cli, "--kind", "franceconnect", "--client-secret", SECRET, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    issuer = app.config["ISSUER"]
    assert data["label"] == "FranceConnect" and data["acr_values"] == "eidas1"
    assert data["scope"].split()[:3] == ["openid", "given_name", "family_name"]
    assert "birthplace" in data["scope"] and "birthcountry" in data["scope"]
    assert data["redirect_uri"] == f"{issuer}/login/with/franceconnect/callback"
    assert data["post_logout_redirect_uri"] == f"{issuer}/login/with/franceconnect/logged-out"
    assert data["has_client_secret"] is True and data["enabled"] is True
    assert SECRET not in result.output and "client_secret" not in data
    sealed = stored_secret(app, "franceconnect")
    assert sealed != SECRET and SECRET not in sealed
    with app.app_context():
        assert unseal(sealed) == SECRET
    assert SECRET not in caplog.text
    assert events(app, "provider.added")[-1].details == {
        "provider": "franceconnect",
        "kind": "franceconnect",
    }


def test_the_secret_can_come_from_standard_input(app, cli):
    """--client-secret - reads it from stdin (out of the shell history), as --help says."""
    assert "standard input" in cli("providers", "add", "--help").output
    result = add(cli, "--client-secret", "-", input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert providers.client_secret(providers.get("franceconnect")) == SECRET


def test_list_update_disable_enable_remove(app, cli):
    """The whole life of a provider at the console, each step in JSON and audited."""
    add(cli, "--kind", "proconnect", "--client-secret", SECRET, name="proconnect")
    add(cli, "--label", "Intranet", "--scope", "openid email", name="intranet")
    listed = json.loads(cli("providers", "list", "--json").output)
    assert [p["name"] for p in listed] == ["intranet", "proconnect"]
    assert listed[1]["label"] == "ProConnect" and "siret" in listed[1]["scope"]
    assert listed[0]["acr_values"] is None and listed[0]["has_client_secret"] is False
    updated = cli("providers", "update", "proconnect", "--label", "ProConnect (agents)", "--json")
    assert json.loads(updated.output)["label"] == "ProConnect (agents)"
    assert stored_secret(app, "proconnect") is not None  # kept when not given
    assert events(app, "provider.updated")[-1].details == {
        "provider": "proconnect",
        "changed": ["label"],
    }
    disabled = json.loads(cli("providers", "disable", "proconnect", "--json").output)
    assert disabled["enabled"] is False
    with app.app_context():
        assert [p.name for p in providers.enabled_providers()] == ["intranet"]
    assert json.loads(cli("providers", "enable", "proconnect", "--json").output)["enabled"]
    removed = cli("providers", "remove", "proconnect", "--yes", "--json")
    assert json.loads(removed.output) == {"name": "proconnect", "removed": True}
    assert [p["name"] for p in json.loads(cli("providers", "list", "--json").output)] == [
        "intranet"
    ]
    types = [e.type for e in events(app, "provider.disabled") + events(app, "provider.enabled")]
    assert types == ["provider.disabled", "provider.enabled"]
    assert events(app, "provider.removed")[-1].details == {"provider": "proconnect", "links": 0}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--name", "France Connect", *FC], "name: Le nom court"),
        (["--name", "fc", "--issuer", "http://fc.example", "--client-id", "a"], "issuer:"),
        (["--name", "fc", *FC, "--scope", "email profile"], "scope: Le scope doit contenir"),
        (["--name", "fc", "--issuer", "https://x.example/?a=1", "--client-id", "a"], "issuer:"),
    ],
)
def test_bad_settings_are_one_clear_line(app, cli, options, message):
    """A setting that cannot work: a one-line message naming it, a non-zero exit, nothing
    stored."""
    result = cli("providers", "add", *options)
    assert result.exit_code != 0
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    with app.app_context():
        assert providers.listed() == []


def test_a_second_provider_with_the_same_name_and_an_unknown_name(app, cli):
    """Names are unique; an unknown name is said so."""
    assert add(cli).exit_code == 0
    again = add(cli)
    assert again.exit_code != 0 and "déjà" in again.output
    missing = cli("providers", "update", "nobody", "--label", "X")
    assert missing.exit_code != 0 and "No provider named 'nobody'" in missing.output


def test_local_http_issuers_are_accepted_for_tests_only(app):
    """http:// is refused except on localhost and 127.0.0.1 (tests, development)."""
    with app.app_context():
        for issuer in ("http://localhost:5004", "http://127.0.0.1:5004/api"):
            providers.create(
                name=f"p{len(providers.listed())}", issuer=issuer, client_id="c", client_secret=None
            )
        with pytest.raises(providers.ProviderError) as refused:
            providers.create(
                name="evil",
                issuer="http://127.0.0.1.evil.example",
                client_id="c",
                client_secret=None,
            )
        assert refused.value.field == "issuer"


def test_keys_rewrap_seals_the_client_secret_under_the_new_key(settings, tmp_path):
    """After a KEK rotation, `compte keys rewrap` seals the provider's secret again: it then
    opens with the new KEK alone."""
    old, new = "old-key-encryption-key-of-at-least-32-characters", "n" * 40

    def app_with(kek: str):
        built = create_app(
            {**settings, "KEY_ENCRYPTION_KEY": kek, "MAIL_WORKER": False},
            instance_path=str(tmp_path / "instance"),
        )
        with built.app_context():
            db.create_all()
        return built

    first = app_with(old)
    with first.app_context():
        providers.create(name="fc", issuer=FC[1], client_id="abc", client_secret=SECRET)
    both = app_with(f"{new},{old}")
    context = AppContext()
    context._app = both
    result = CliRunner().invoke(main, ["keys", "rewrap"], obj=context)
    assert result.exit_code == 0 and "provider_secrets: 1" in result.output
    assert Sealer([new], "unused").unseal(stored_secret(both, "fc")) == SECRET
    for built in (first, both):
        with built.app_context():
            db.session.remove()
            db.engine.dispose()
