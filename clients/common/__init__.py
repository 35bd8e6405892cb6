"""What the three demo services share: the app factory, Compte login, launcher, logout."""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Service:
    """One demo service: its name, its pages and its demo data."""

    name: str  # slug: formadist, cpf, ecommunautes
    title: str  # shown in the header
    blueprint: Blueprint
    home_endpoint: str
    tables: Iterable[str] = ()
    on_login: Callable[[str, dict[str, Any]], None] | None = None
    # Default: the `templates` folder of the service's package (beside its blueprint).
    template_folder: str | None = None
    accent: str = "#1d4f91"
    extra: dict[str, Any] = field(default_factory=dict)


def _templates_of(blueprint: Blueprint) -> str:
    module = importlib.import_module(blueprint.import_name)
    return str(Path(module.__file__ or "").parent / "templates")


def app_factory(service: Service) -> Callable[..., Flask]:
    """The `create_app(config=None)` of a demo service's package."""

    def create_app(config: dict[str, Any] | None = None) -> Flask:
        return create_rp_app(service, config)

    create_app.__doc__ = f"The {service.title} app (settings: see clients.common.create_rp_app)."
    return create_app


def create_rp_app(service: Service, config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app of `service`. Required settings: ISSUER, CLIENT_ID,
    CLIENT_SECRET, BASE_URL. Optional: SECRET_KEY, DATABASE_URL, INSTANCE_PATH, SCOPES."""
    from clients.common import auth, views, web
    from clients.common.db import COMMON_TABLES, db

    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", ROOT / "instance" / service.name)).resolve()
    app = Flask(
        f"clients.{service.name}",
        instance_path=str(instance),
        template_folder=service.template_folder or _templates_of(service.blueprint),
    )
    instance.mkdir(parents=True, exist_ok=True)
    missing = [k for k in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "BASE_URL") if not config.get(k)]
    if missing:
        raise ValueError(f"{service.name}: missing settings {', '.join(missing)}")
    config["ISSUER"] = config["ISSUER"].rstrip("/")
    config["BASE_URL"] = config["BASE_URL"].rstrip("/")
    if not config.get("SECRET_KEY"):
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        config["SECRET_KEY"] = key_file.read_text().strip()
    database = config.pop("DATABASE_URL", None) or f"sqlite:///{instance / (service.name + '.db')}"
    secure = config["BASE_URL"].startswith("https://")
    app.config.update(
        SERVICE_NAME=service.title,
        SERVICE_SLUG=service.name,
        SERVICE_ACCENT=service.accent,
        HOME_ENDPOINT=service.home_endpoint,
        ON_LOGIN=service.on_login,
        SQLALCHEMY_DATABASE_URI=database,
        # Every service runs on 127.0.0.1 in the demo: cookies are per host, not per port,
        # so each one needs its own cookie name.
        SESSION_COOKIE_NAME=f"{service.name}_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        WTF_CSRF_TIME_LIMIT=None,
        **service.extra,
    )
    app.config.update(config)

    db.init_app(app)
    CSRFProtect(app)
    auth.init_oauth(app)
    views.init_app(app)
    web.init_app(app)
    app.register_blueprint(service.blueprint)
    with app.app_context():
        tables = [db.metadata.tables[name] for name in (*COMMON_TABLES, *service.tables)]
        db.metadata.create_all(db.engine, tables=tables)
    return app
