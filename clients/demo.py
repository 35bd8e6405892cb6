"""The demo's set-up: registers the three services as clients of Compte (idempotent), and
a simulated FranceConnect that people may sign in through.

`python -m clients.demo register` (called by scripts/demo) creates, or on later runs
reuses and updates, one first-party client per service with its redirect, logout URIs and
launcher entry, and keeps their credentials in instance/demo-clients.json. It also creates
a demo account on the first run. Then the simulated FranceConnect (clients/demo_upstream.py):
a second Compte on port 5004 with a citizen's account and a client for the first Compte,
declared in the first Compte as the provider "franceconnect".
`python -m clients.demo upstream-env` prints the settings that second Compte runs with.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from clients.common.demo_person import DEMO_EMAIL
from clients.demo_upstream import (
    CITIZEN,
    register_franceconnect,
    upstream_app,
    upstream_environment,
)

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = ROOT / "instance" / "demo-clients.json"
SCOPES = ("openid", "profile", "email", "phone", "offline_access", "launcher")
DEMO_ACCOUNT = {
    "email": DEMO_EMAIL,
    "password": "Formation-2026",
    "given_name": "Ivan",
    "family_name": "Pierre",
}


@dataclass(frozen=True)
class DemoService:
    name: str
    title: str
    description: str
    port: int
    position: int


SERVICES = (
    DemoService("formadist", "Formadist", "Votre parcours de formation à distance", 5001, 10),
    DemoService(
        "cpf", "Mon Compte Formation", "Vos heures CPF, vos dossiers et délégations", 5002, 20
    ),
    DemoService("ecommunautes", "E-communautés", "Les communautés thématiques du réseau", 5003, 30),
)


def client_fields(base_url: str) -> dict[str, Any]:
    """What Compte must know of a service at `base_url`."""
    return {
        "redirect_uris": [f"{base_url}/auth/callback"],
        "post_logout_redirect_uris": [f"{base_url}/logged-out"],
        "backchannel_logout_uri": f"{base_url}/backchannel-logout",
        "frontchannel_logout_uri": f"{base_url}/frontchannel-logout",
        "auth_method": "client_secret_basic",
        "scopes": SCOPES,
        "first_party": True,
    }


def register(
    app: Flask, credentials: Path = CREDENTIALS, urls: dict[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """Create or update the three clients and their launcher entries; returns and stores
    {service: {client_id, client_secret, url}}. Idempotent: an existing client is reused
    (found by its stored client_id, else by its callback URL), its secret rotated only
    when the stored one no longer matches; a deleted client is created again."""
    from idp.core.extensions import db
    from idp.launcher.services import set_entry
    from idp.oidc.client_rules import check_secret
    from idp.oidc.clients import (
        create_client,
        get_client,
        list_clients,
        rotate_secret,
        set_disabled,
        update_client,
    )

    stored: dict[str, dict[str, str]] = {}
    if credentials.exists():
        stored = json.loads(credentials.read_text())
    with app.app_context():
        for service in SERVICES:
            base = (urls or {}).get(service.name) or f"http://127.0.0.1:{service.port}"
            icon = f"/static/launcher/{service.name}.svg"
            fields = client_fields(base)
            # Its logo, shown on Compte's login page ("Pour accéder à Formadist…").
            fields["logo_uri"] = app.config["ISSUER"] + icon
            known = stored.get(service.name, {})
            client = get_client(known["client_id"]) if known.get("client_id") else None
            if client is None:  # credentials file lost: find the client by its callback
                callback = fields["redirect_uris"][0]
                client = next((c for c in list_clients() if callback in c.redirect_uris), None)
            if client is None:
                client, secret = create_client(service.title, **fields)
            else:
                update_client(client, name=service.title, **fields)
                secret = known.get("client_secret")
                if not check_secret(client, secret):  # secret rotated meanwhile
                    secret = rotate_secret(client)
                if client.disabled:
                    set_disabled(client, False)
            set_entry(
                client.client_id,
                name=service.title,
                url=f"{base}/",
                description=service.description,
                icon_url=icon,
                position=service.position,
            )
            stored[service.name] = {
                "client_id": client.client_id,
                "client_secret": secret,
                "url": f"{base}/",
            }
        db.session.commit()
    credentials.parent.mkdir(parents=True, exist_ok=True)
    credentials.write_text(json.dumps(stored, indent=2))
    credentials.chmod(0o600)
    return stored


def ensure_demo_account(app: Flask) -> bool:
    """Create the demo account once (confirmed); True when it was created now."""
    from idp.accounts.services import create_account, find_by_email
    from idp.core.extensions import db

    with app.app_context():
        if find_by_email(DEMO_ACCOUNT["email"]) is not None:
            return False
        create_account(confirmed=True, civility="m", **DEMO_ACCOUNT)
        db.session.commit()
        return True


def main(argv: list[str]) -> int:
    if argv[:1] == ["upstream-env"]:
        # One NAME=value a line, for scripts/demo (`env "${lines[@]}" compte …`).
        for name, value in upstream_environment().items():
            print(f"{name}={value}")
        return 0
    if argv[:1] != ["register"]:
        print("usage: python -m clients.demo register | upstream-env", file=sys.stderr)
        return 2
    from idp import create_app

    app = create_app()
    stored = register(app)
    for service in SERVICES:
        print(f"  client {service.name}: {stored[service.name]['client_id']}")
    created = ensure_demo_account(app)
    state = "created" if created else "kept"
    print(f"  demo account {state}: {DEMO_ACCOUNT['email']} / {DEMO_ACCOUNT['password']}")
    upstream = register_franceconnect(app, upstream_app())
    print(f"  simulated FranceConnect {upstream['issuer']}: client {upstream['client_id']}")
    print(f"  its citizen: {CITIZEN['email']} / {CITIZEN['password']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
