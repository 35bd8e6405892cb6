"""Data for scripts/bench: its own PostgreSQL database, a client, accounts and tokens
made through Compte's models and services (idp.oidc.clients, idp.oidc.models)."""

from __future__ import annotations

import base64
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

PASSWORD = "Bench-mark-2026"  # noqa: S105  (a throw-away password of the bench accounts)
TOKEN_SCOPE = "openid profile email offline_access"  # noqa: S105


def create_database(url: str) -> None:
    """Drop and create the database named in `url` (connecting to `postgres`)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def drop_database(url: str, app=None) -> None:
    """Drop the database named in `url`, after closing `app`'s connections to it."""
    if app is not None:
        from idp.core.extensions import db

        with app.app_context():
            db.engine.dispose()
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Seeded:
    client_id: str
    client_secret: str
    basic_auth: str  # value of the Authorization header
    emails: list[str]
    access_token: str  # of the first account, for userinfo and introspection
    refresh_files: dict[str, Path] = field(default_factory=dict)
    passkeys: object = None  # the software authenticator holding the accounts' passkeys
    totp: list = field(default_factory=list)  # (e-mail, secret) of accounts with an app


def seed(app, workdir: Path, accounts: int, refresh_tokens: dict[str, int]) -> Seeded:
    """Schema (db.create_all), one confidential client, `accounts` confirmed accounts
    sharing one bcrypt hash at the configured cost, one access token, and files of
    refresh-token request bodies (one per name in `refresh_tokens`)."""
    from idp.accounts.models import Account
    from idp.accounts.passwords import hash_password
    from idp.core.extensions import db
    from idp.oidc.capabilities import DEFAULT_SCOPES
    from idp.oidc.clients import create_client
    from idp.oidc.keys import ensure_keys
    from idp.oidc.models import Token

    # Unique per run: a run may add its rows to a database seeded before (--existing).
    tag = secrets.token_hex(3)
    with app.app_context():
        db.create_all()
        ensure_keys()
        client, secret = create_client(
            f"Bench RP {tag}",
            redirect_uris=["http://127.0.0.1:9/callback"],
            scopes=DEFAULT_SCOPES,
            grant_types=("authorization_code", "refresh_token", "client_credentials"),
            first_party=True,
        )
        client_id = client.client_id
        password_hash = hash_password(PASSWORD, app.config["BCRYPT_ROUNDS"])
        terms = app.config.get("TERMS_VERSION")
        emails = [f"bench{i:04d}-{tag}@bench.invalid" for i in range(accounts)]
        for i, email in enumerate(emails):
            db.session.add(
                Account(
                    email=email,
                    given_name="Camille",
                    family_name=f"Banc{i}",
                    password_hash=password_hash,
                    email_confirmed_at=_now(),
                    terms_version=terms,
                    terms_accepted_at=_now(),
                )
            )
        db.session.commit()
        account_ids = list(
            db.session.scalars(
                select(Account.id).where(Account.email.in_(emails)).order_by(Account.id)
            )
        )

        issued = int(time.time())
        access_token = secrets.token_urlsafe(32)
        rows = [_token_row(client_id, account_ids[0], access_token, None, issued)]
        files: dict[str, Path] = {}
        for name, count in refresh_tokens.items():
            lines = []
            for n in range(count):
                value = secrets.token_urlsafe(32)
                account_id = account_ids[n % len(account_ids)]
                rows.append(
                    _token_row(client_id, account_id, secrets.token_urlsafe(32), value, issued)
                )
                lines.append(f"grant_type=refresh_token&refresh_token={value}")
            files[name] = workdir / f"refresh-{name}.txt"
            files[name].write_text("\n".join(lines) + "\n")
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Token), rows[start : start + 5000])
        db.session.commit()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Seeded(client_id, secret, f"Basic {basic}", emails, access_token, files)


def _now():
    from idp.core.clock import utcnow

    return utcnow()


def _token_row(client_id, account_id, access: str, refresh: str | None, issued: int) -> dict:
    from idp.core.digest import secret_digest

    return {
        "client_id": client_id,
        "account_id": account_id,
        "token_type": "Bearer",
        "access_token_hash": secret_digest(access),
        "refresh_token_hash": secret_digest(refresh) if refresh else None,
        "family_id": str(uuid.uuid4()),
        "scope": TOKEN_SCOPE,
        "issued_at": issued,
        # Long enough for the whole run (the bench runs its endpoints one after another).
        "expires_in": 3600,
        "refresh_expires_at": issued + 86400 if refresh else None,
    }


def more_accounts(app, kind: str, count: int) -> list[tuple[str, int]]:
    """`count` more confirmed accounts sharing one bcrypt hash, apart from the password
    sign-in's (a second factor given to them would change that sign-in): (e-mail, id)."""
    from idp.accounts.models import Account
    from idp.accounts.passwords import hash_password
    from idp.core.extensions import db

    tag = secrets.token_hex(3)
    with app.app_context():
        password_hash = hash_password(PASSWORD, app.config["BCRYPT_ROUNDS"])
        rows = [
            Account(
                email=f"{kind}{i:05d}-{tag}@bench.invalid",
                given_name="Camille",
                family_name=f"{kind.title()}{i}",
                password_hash=password_hash,
                email_confirmed_at=_now(),
                terms_version=app.config.get("TERMS_VERSION"),
                terms_accepted_at=_now(),
            )
            for i in range(count)
        ]
        db.session.add_all(rows)
        db.session.commit()
        found = [(row.email, row.id) for row in rows]
        db.session.remove()
    return found


def login_form(base_url: str) -> tuple[str, str]:
    """(Cookie header, csrf_token) of a fresh anonymous session, from GET /login."""
    http = requests.Session()
    page = http.get(f"{base_url}/login", timeout=10)
    page.raise_for_status()
    tag = re.search(r"<input[^>]*name=\"csrf_token\"[^>]*>", page.text)
    if tag is None:
        raise RuntimeError("no csrf_token field on /login")
    token = re.search(r"value=\"([^\"]+)\"", tag.group(0)).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    return cookie, token


def count_events(app, *types: str) -> dict[str, int]:
    """How many audit events of each type exist (login successes and failures)."""
    from idp.audit.models import AuditEvent
    from idp.core.extensions import db

    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.type, func.count())
            .where(AuditEvent.type.in_(types))
            .group_by(AuditEvent.type)
        ).all()
        db.session.remove()
    counts = dict.fromkeys(types, 0)
    counts.update({kind: n for kind, n in rows})
    return counts
