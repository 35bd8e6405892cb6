"""The demo's simulated FranceConnect: a second Compte, on its own port, database and secret
key, that people sign in through from the first one ("S’identifier avec FranceConnect").

scripts/demo runs it as `compte serve --port 5004` with the settings of
`upstream_environment()` (printed by `python -m clients.demo upstream-env`), after
`compte db upgrade` with the same settings; `register_franceconnect` (run by
`python -m clients.demo register`) then puts in it a citizen's account and a client for the
first Compte, and declares it in the first Compte as the provider "franceconnect" of kind
franceconnect. Idempotent: a second run reuses all of them.
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_PORT = 5004
# 127.0.0.1, not localhost like the first Compte: a browser keeps cookies per host name,
# not per port, and two Compte on one host name would overwrite each other's session
# cookie (compte_session) in the middle of the sign-in.
UPSTREAM_ISSUER = f"http://127.0.0.1:{UPSTREAM_PORT}"
UPSTREAM_FOLDER = ROOT / "instance" / "franceconnect"
UPSTREAM_CREDENTIALS = ROOT / "instance" / "demo-franceconnect.json"
PROVIDER_NAME = "franceconnect"
CLIENT_NAME = "Compte (démo)"
# An address the registration forms accept (".localhost" is a special-use domain they refuse).
CITIZEN = {
    "email": "citoyen@franceconnect.example",
    "password": "FranceConnect-2026",
    "given_name": "Camille",
    "family_name": "Martin",
}


def upstream_environment(folder: Path | None = None) -> dict[str, str]:
    """The COMPTE_* settings of the simulated FranceConnect: its issuer, its own database
    and secret key (made on the first run, kept in `folder`), the names its pages show."""
    folder = folder or UPSTREAM_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return {
        "COMPTE_ISSUER": UPSTREAM_ISSUER,
        "COMPTE_DATABASE_URL": f"sqlite:///{folder / 'compte.db'}",
        "COMPTE_SECRET_KEY": key_file.read_text().strip(),
        "COMPTE_SERVICE_NAME": "FranceConnect (simulé)",
        "COMPTE_ORGANISATION_NAME": "Démo de Compte",
    }


def upstream_app(folder: Path | None = None) -> Flask:
    """The simulated FranceConnect as an application (its database migrated already)."""
    from idp import create_app

    settings = {k.removeprefix("COMPTE_"): v for k, v in upstream_environment(folder).items()}
    return create_app({**settings, "MAIL_WORKER": False})


def _upstream_client(upstream: Flask, callback: str, logged_out: str, known: dict) -> dict:
    """On the upstream: the first Compte's client (found by its stored id, else by its
    callback; its secret rotated only when the stored one no longer matches) and the
    citizen's account. Returns {client_id, client_secret}."""
    from idp.accounts.services import create_account, find_by_email
    from idp.core.extensions import db
    from idp.oidc.client_rules import check_secret
    from idp.oidc.clients import (
        create_client,
        get_client,
        list_clients,
        rotate_secret,
        set_disabled,
        update_client,
    )

    fields: dict[str, Any] = {
        "redirect_uris": [callback],
        "post_logout_redirect_uris": [logged_out],
        "auth_method": "client_secret_basic",
        "scopes": ("openid", "profile", "email"),
        "first_party": True,  # no consent screen, as at FranceConnect
    }
    with upstream.app_context():
        client = get_client(known["client_id"]) if known.get("client_id") else None
        if client is None:
            client = next((c for c in list_clients() if callback in c.redirect_uris), None)
        if client is None:
            client, secret = create_client(CLIENT_NAME, **fields)
        else:
            update_client(client, name=CLIENT_NAME, **fields)
            secret = known.get("client_secret")
            if not check_secret(client, secret):
                secret = rotate_secret(client)
            if client.disabled:
                set_disabled(client, False)
        if find_by_email(CITIZEN["email"]) is None:
            create_account(
                confirmed=True,
                civility="f",
                birthdate=date(1990, 5, 14),
                terms_version=upstream.config.get("TERMS_VERSION"),
                **CITIZEN,
            )
        db.session.commit()
        return {"client_id": client.client_id, "client_secret": secret}


def _declare_provider(main: Flask, issuer: str, client_id: str, secret: str) -> None:
    """On the first Compte: the provider "franceconnect", created or brought up to date
    (only what differs is changed, so a second run records no change)."""
    from idp.federation import providers

    defaults = providers.KIND_DEFAULTS["franceconnect"]
    wanted: dict[str, Any] = {
        "kind": "franceconnect",
        "label": "FranceConnect",
        "issuer": issuer,
        "client_id": client_id,
        # FranceConnect's claims, plus `profile`: a Compte gives names under that scope only.
        "scope": f"{defaults.scope} profile",
        "acr_values": defaults.acr_values,
    }
    with main.app_context():
        provider = providers.get(PROVIDER_NAME)
        if provider is None:
            providers.create(name=PROVIDER_NAME, client_secret=secret, **wanted)
            return
        changes = {k: v for k, v in wanted.items() if getattr(provider, k) != v}
        if providers.client_secret(provider) != secret:
            changes["client_secret"] = secret
        if not provider.enabled:
            changes["enabled"] = True
        if changes:
            providers.update(provider, **changes)


def register_franceconnect(
    main: Flask, upstream: Flask, credentials: Path = UPSTREAM_CREDENTIALS
) -> dict[str, str]:
    """Set up the simulated FranceConnect (see the module); returns and stores
    {issuer, client_id, client_secret}."""
    from idp.federation import providers
    from idp.federation.models import UpstreamProvider

    known = json.loads(credentials.read_text()) if credentials.exists() else {}
    with main.app_context():
        # The addresses the first Compte will give for this provider (a row not saved).
        named = UpstreamProvider(name=PROVIDER_NAME)
        callback = providers.redirect_uri(named)
        logged_out = providers.post_logout_redirect_uri(named)
    client = _upstream_client(upstream, callback, logged_out, known)
    issuer = upstream.config["ISSUER"]
    _declare_provider(main, issuer, client["client_id"], client["client_secret"])
    stored = {"issuer": issuer, **client}
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.write_text(json.dumps(stored, indent=2))
    credentials.chmod(0o600)
    return stored
