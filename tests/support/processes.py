"""Compte in other processes (the `compte` command, gunicorn) on a test's own database."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from tests.support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def database_url_for_process(settings: dict) -> str:
    """The test database's URL for another process: a PostgreSQL test runs in a schema
    of its own (tests/conftest.py), named here through libpq's `options`."""
    url = settings["DATABASE_URL"]
    options = (settings.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).get("connect_args", {})
    if options.get("options"):
        url += ("&" if "?" in url else "?") + "options=" + quote(options["options"])
    return url


def compte_env(settings: dict, **extra: str) -> dict[str, str]:
    """Environment variables giving a `compte` process the test app's settings."""
    names = ("PRESET", "ISSUER", "SECRET_KEY", "MAIL_SERVER", "MAIL_PORT", "BCRYPT_ROUNDS")
    env = {f"COMPTE_{name}": str(settings[name]) for name in names if name in settings}
    env.update(
        {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "COMPTE_DATABASE_URL": database_url_for_process(settings),
            "COMPTE_MAINTENANCE_INTERVAL": "0",
        }
    )
    env.update(extra)
    return env


def _healthy(base: str) -> bool:
    with (
        contextlib.suppress(OSError, urllib.error.URLError),
        urllib.request.urlopen(base + "/healthz", timeout=5) as response,
    ):
        return response.status == 200
    return False


@contextlib.contextmanager
def gunicorn(env: dict[str, str], cwd: Path, workers: int = 2) -> Iterator[str]:
    """Compte under gunicorn with the shipped configuration; yields its base URL."""
    port = free_port()
    env = {
        **env,
        "COMPTE_BIND": f"127.0.0.1:{port}",
        "COMPTE_WORKERS": str(workers),
        "COMPTE_ERROR_LOG": str(cwd / "gunicorn-error.log"),
    }
    env["COMPTE_ISSUER"] = f"http://127.0.0.1:{port}"  # this instance's public address
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "idp:create_app()",
        ],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(base), timeout=60)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
