"""The demo's simulated FranceConnect (clients/demo_upstream.py): a second Compte with a
citizen and a client for the first one, declared in the first one as a provider;
idempotent, as `python -m clients.demo register` runs it on every start."""

from __future__ import annotations

import json
import stat

from clients.demo import main as demo_main
from clients.demo_upstream import CITIZEN, register_franceconnect, upstream_environment
from idp.accounts.services import find_by_email
from idp.audit.models import AuditEvent
from idp.core.extensions import db
from idp.federation import providers
from idp.oidc.client_rules import check_secret
from idp.oidc.clients import get_client, list_clients
from tests.support.upstream import upstream_compte


def test_register_declares_the_upstream_both_ways_then_reuses_it(app, tmp_path):
    """First run: on the upstream a first-party client whose redirect_uri is the first
    Compte's callback, and the citizen's account; on the first Compte the provider
    "franceconnect" of kind franceconnect with that client. A second run changes nothing."""
    path = tmp_path / "demo-franceconnect.json"
    with upstream_compte(tmp_path) as upstream:
        first = register_franceconnect(app, upstream.app, path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with app.app_context():
            provider = providers.get("franceconnect")
            assert (provider.kind, provider.issuer, provider.client_id) == (
                "franceconnect",
                upstream.url,
                first["client_id"],
            )
            assert provider.enabled and provider.acr_values == "eidas1"
            assert {"openid", "email", "given_name", "profile"} <= set(provider.scope.split())
            assert providers.client_secret(provider) == first["client_secret"]
            callback = providers.redirect_uri(provider)
            logged_out = providers.post_logout_redirect_uri(provider)
        with upstream.app.app_context():
            client = get_client(first["client_id"])
            assert client.redirect_uris == [callback]
            assert client.post_logout_redirect_uris == [logged_out]
            assert client.first_party and check_secret(client, first["client_secret"])
            citizen = find_by_email(CITIZEN["email"])
            assert citizen.is_confirmed and citizen.given_name == CITIZEN["given_name"]

        assert register_franceconnect(app, upstream.app, path) == first
        with app.app_context():
            changes = db.session.scalars(
                db.select(AuditEvent).where(AuditEvent.type.like("provider.%"))
            )
            assert [e.type for e in changes] == ["provider.added"]
        with upstream.app.app_context():
            assert len(list_clients()) == 1
        # The credentials file lost: the client is found again by its callback.
        path.unlink()
        third = register_franceconnect(app, upstream.app, path)
        assert third["client_id"] == first["client_id"]
        assert json.loads(path.read_text()) == third
        with app.app_context():
            assert providers.client_secret(providers.get("franceconnect")) == third["client_secret"]


def test_upstream_environment_is_its_own_compte(tmp_path, capsys, monkeypatch):
    """The simulated FranceConnect runs with its own issuer (another host name than the
    first Compte's localhost: cookies are per host), database and secret key, kept across
    runs; `python -m clients.demo upstream-env` prints them one a line for scripts/demo."""
    first = upstream_environment(tmp_path / "fc")
    assert first == upstream_environment(tmp_path / "fc")  # the secret key is kept
    assert first["COMPTE_ISSUER"] == "http://127.0.0.1:5004"
    assert first["COMPTE_DATABASE_URL"] == f"sqlite:///{tmp_path / 'fc' / 'compte.db'}"
    assert len(first["COMPTE_SECRET_KEY"]) >= 32
    assert stat.S_IMODE((tmp_path / "fc" / "secret_key").stat().st_mode) == 0o600
    monkeypatch.setattr("clients.demo_upstream.UPSTREAM_FOLDER", tmp_path / "fc")
    assert demo_main(["upstream-env"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{name}={value}" for name, value in first.items()]
