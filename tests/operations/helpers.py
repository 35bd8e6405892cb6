"""Helpers of the operations tests (no tests): reading Prometheus text, a silent server,
and what the real-server tests (`compte run`, gunicorn) each check the same way."""

from __future__ import annotations

import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import BIN

# In the path, query, Referer and id_token_hint of send_secrets(): never in a log.
SECRETS = ("TOPSECRETTOKEN", "SECRETQUERY", "SECRETHINT", "SECRETREF", "SECRETCODE")


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    """Status and body of a GET to a real server; 4xx and 5xx answers too, and 0 when
    nothing answers (not started yet, or stopped)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of sample `name` whose labels include `labels` (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def has_metric(text: str, name: str) -> bool:
    """True when a sample called `name` is in the exposition."""
    return any(
        sample.name == name
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    )


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections (kernel backlog) and never answers a byte:
    a database or Redis that hangs. Yields the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def server_env(tmp_path: Path, port: int) -> dict[str, str]:
    """The environment of a real server on `port`: its own SQLite database in `tmp_path`
    (see upgrade_database), its issuer on that port, 127.0.0.1 as the trusted proxy."""
    return {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "COMPTE_DATABASE_URL": f"sqlite:///{tmp_path / 'compte.db'}",
        "COMPTE_SECRET_KEY": "real-server-test-secret-key",
        "COMPTE_MAIL_WORKER": "false",
        "COMPTE_MAINTENANCE_INTERVAL": "0",
        "COMPTE_ISSUER": f"http://127.0.0.1:{port}",
        "COMPTE_TRUSTED_PROXIES": "127.0.0.1",
    }


def upgrade_database(env: dict[str, str], cwd: Path) -> None:
    """`compte db upgrade` on the database of `env`, before its server starts."""
    subprocess.run(
        [str(BIN / "compte"), "db", "upgrade"], env=env, cwd=cwd, check=True, capture_output=True
    )


def send_secrets(base: str) -> int:
    """Two requests carrying SECRETS in the path, query, Referer and id_token_hint, the
    first from 198.51.100.7 through the trusted proxy; the status of the first."""
    status, _ = get(
        base + "/password/reset/TOPSECRETTOKEN?next=SECRETQUERY",
        {
            "X-Forwarded-For": "198.51.100.7",
            "Referer": "https://rp.example/invitation/SECRETREF?code=SECRETCODE",
        },
    )
    get(base + "/oauth/authorize?client_id=nope&id_token_hint=SECRETHINT")
    return status


def assert_no_secret_logged(access: str, errors: str) -> None:
    """The access log names send_secrets()' Referer and authorization request without
    token or query, and no secret is in either log."""
    assert '"https://rp.example/invitation/…?…"' in access, access
    assert '"GET /oauth/authorize?… HTTP/1.1"' in access, access
    for secret in SECRETS:
        assert secret not in access and secret not in errors, secret


def assert_requests_counted(base: str, times: int) -> None:
    """`times` answers of /healthz are all counted by /metrics, whichever worker gave them
    (the multiprocess collector: no single process's own gc metrics)."""
    before = get(base + "/metrics")[1]
    for _ in range(times):
        assert get(base + "/healthz")[0] == 200
    status, after = get(base + "/metrics")
    assert status == 200
    healthz = {"endpoint": "healthz", "status": "200"}
    name = "compte_http_requests_total"
    assert metric_value(after, name, **healthz) - metric_value(before, name, **healthz) == times
    assert "python_gc_objects_collected_total" not in after
