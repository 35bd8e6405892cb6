"""A second Compte for the tests, playing the upstream identity provider (a simulated
FranceConnect, as in the demo): its own SQLite database, secret key and issuer.

    with upstream_compte(tmp_path, host="localhost") as upstream:
        upstream.app, upstream.url      # served over real HTTP on 127.0.0.1

`host="localhost"` when a browser visits both it and a Compte on 127.0.0.1: a browser keeps
cookies per host name, not per port, and two Compte on one host name would overwrite each
other's session cookie (the demo does the same, the other way round)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from idp import create_app
from idp.core.extensions import db
from idp.maintenance import stop_background
from idp.oidc import lean
from tests.support.servers import free_port, serve_wsgi


@dataclass(frozen=True)
class Upstream:
    app: Flask
    url: str  # its issuer


@contextmanager
def upstream_compte(
    tmp_path: Path, *, host: str = "127.0.0.1", **overrides: Any
) -> Iterator[Upstream]:
    """A second Compte served on a free port, every table created; stopped at the end."""
    folder = tmp_path / "upstream"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    issuer = f"http://{host}:{port}"
    url = f"sqlite:///{folder / 'compte.db'}"
    settings = {
        "PRESET": "cnfpt",
        "ISSUER": issuer,
        "SECRET_KEY": "upstream-test-secret-key-not-for-production",
        "DATABASE_URL": url,
        "SQLALCHEMY_DATABASE_URI": url,
        "SERVICE_NAME": "FranceConnect (simulé)",
        "MAIL_WORKER": False,
        "MAINTENANCE_INTERVAL": 0,
        "BCRYPT_ROUNDS": 4,
        "TESTING": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"upstream{port}",
        **overrides,
    }
    app = create_app(settings, instance_path=str(folder / "instance"))
    with app.app_context():
        db.create_all()
    try:
        with serve_wsgi(app, port):
            yield Upstream(app=app, url=issuer)
    finally:
        stop_background(app, timeout=10)
        lean.dispose(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
