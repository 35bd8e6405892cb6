"""/healthz and /readyz as a load balancer sees them: cheap, no session, the failing part
named, and never a hang when a server is dead or silent."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

from idp import create_app
from tests.operations.helpers import silent_server
from tests.support.servers import free_port


def _app(tmp_path: Path, **overrides):
    """An app on a fresh SQLite file (tables and signing keys created) with `overrides`."""
    from idp.core.extensions import db
    from idp.oidc.keys import keyring

    url = f"sqlite:///{tmp_path / 'ready.db'}"
    settings = {
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": url,
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_WORKER": False,
        "MAINTENANCE_INTERVAL": 0,
        "RATELIMIT_STORAGE_URI": "memory://",
        **overrides,
    }
    app = create_app(settings, instance_path=str(tmp_path / "instance"))
    if overrides.get("SQLALCHEMY_DATABASE_URI", url) == url:
        with app.app_context():
            db.create_all()
            keyring()  # key generation takes a while: not what these tests measure
    return app


def test_healthz_answers_ok_without_a_session(live_server):
    """GET /healthz: 200 {"status": "ok"}, JSON, no cookie set, not cached."""
    response = requests.get(live_server + "/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert requests.head(live_server + "/healthz", timeout=5).status_code == 200


def test_readyz_ready_names_every_check(live_server):
    """GET /readyz on a working instance (SQLite and PostgreSQL): 200 and each part "ok"."""
    requests.get(live_server + "/oauth/jwks", timeout=10)  # the first keys are made here
    response = requests.get(live_server + "/readyz", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "signing_keys": "ok"},
    }
    assert "Set-Cookie" not in response.headers


def test_readyz_checks_redis_when_configured(tmp_path, redis_url):
    """With REDIS_URL set and Redis up, /readyz checks it too."""
    client = _app(tmp_path, REDIS_URL=redis_url).test_client()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok", "signing_keys": "ok"}


def test_readyz_names_an_unreachable_redis(tmp_path):
    """Redis down (nothing listens): 503, Retry-After, "redis": "unreachable", the rest ok."""
    client = _app(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unreachable", "signing_keys": "ok"},
    }


def test_readyz_names_an_unreachable_database(tmp_path):
    """PostgreSQL down (nothing listens): 503 with "database": "unreachable"."""
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    app = _app(tmp_path, DATABASE_URL=dead, SQLALCHEMY_DATABASE_URI=dead)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unreachable"
    assert response.json["checks"]["signing_keys"] in ("unavailable", "timeout")


def test_readyz_does_not_hang_on_a_silent_database_or_redis(tmp_path):
    """A database and a Redis that accept connections but never answer: /readyz answers
    503 "timeout" within HEALTH_CHECK_TIMEOUT (not after TCP's minutes), and probes sent
    while the stuck check still hangs answer at once without starting another thread."""
    with silent_server() as db_port, silent_server() as redis_port:
        silent = f"postgresql+psycopg://postgres@127.0.0.1:{db_port}/none"
        app = _app(
            tmp_path,
            DATABASE_URL=silent,
            SQLALCHEMY_DATABASE_URI=silent,
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            HEALTH_CHECK_TIMEOUT=0.5,
        )
        client = app.test_client()
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 3
        assert response.status_code == 503
        checks = response.json["checks"]
        assert checks["database"] == "timeout"
        assert checks["redis"] in ("timeout", "unreachable")
        for _ in range(5):
            started = time.monotonic()
            assert client.get("/readyz").json["checks"]["database"] == "timeout"
            assert time.monotonic() - started < 1.5
        stuck = [t for t in threading.enumerate() if t.name == "compte-check-database"]
        assert len(stuck) <= 1
