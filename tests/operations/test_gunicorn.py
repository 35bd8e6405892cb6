"""Real gunicorn with the shipped configuration (config/gunicorn.conf.py): an access log
with no link token, query string or hint in it, the client's address taken from a trusted
proxy, and Prometheus metrics added up across the workers."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

from tests.operations.helpers import get, metric_value
from tests.support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("TOPSECRETTOKEN", "SECRETQUERY", "SECRETHINT", "SECRETREF", "SECRETCODE")
ACCESS_FORMAT = (
    '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s %({referer}i)s %({raw_uri}e)s %({query_string}e)s'
)


def test_gunicorn_shipped_configuration(tmp_path):
    """Two gthread workers behind the shipped configuration: secrets never reach the access
    or error log (request line, path, query, Referer, environ atoms), the client behind the
    trusted proxy is the logged address, and /metrics counts every worker's requests."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "COMPTE_DATABASE_URL": f"sqlite:///{tmp_path / 'compte.db'}",
        "COMPTE_SECRET_KEY": "gunicorn-test-secret-key",
        "COMPTE_MAIL_WORKER": "false",
        "COMPTE_MAINTENANCE_INTERVAL": "0",
        "COMPTE_ISSUER": f"http://127.0.0.1:{port}",
        "COMPTE_TRUSTED_PROXIES": "127.0.0.1",
        "COMPTE_BIND": f"127.0.0.1:{port}",
        "COMPTE_WORKERS": "2",
        "COMPTE_THREADS": "2",
        "COMPTE_ACCESS_LOG": str(tmp_path / "access.log"),
        "COMPTE_ERROR_LOG": str(tmp_path / "error.log"),
    }
    subprocess.run(
        [str(bin_dir / "compte"), "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "-c",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "--access-logformat",
            ACCESS_FORMAT,
            "idp:create_app()",
        ],
        env={**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            with contextlib.suppress(OSError):
                return get(base + "/healthz")[0] == 200
            return False

        wait_until(healthy, timeout=60)
        get(
            base + "/password/reset/TOPSECRETTOKEN?next=SECRETQUERY",
            {
                "X-Forwarded-For": "198.51.100.7",
                "Referer": "https://rp.example/invitation/SECRETREF?code=SECRETCODE",
            },
        )
        get(base + "/oauth/authorize?client_id=nope&id_token_hint=SECRETHINT")
        before = get(base + "/metrics")[1]
        for _ in range(12):
            get(base + "/healthz")
        status, after = get(base + "/metrics")
        assert status == 200
        assert get(base + "/readyz")[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=30)

    access = (tmp_path / "access.log").read_text()
    errors = (tmp_path / "error.log").read_text()
    assert '198.51.100.7 "GET /password/reset/…?… HTTP/1.1" 4' in access, access
    assert '"https://rp.example/invitation/…?…"' in access
    assert "GET /oauth/authorize?… HTTP/1.1" in access
    for secret in SECRETS:
        assert secret not in access and secret not in errors, secret

    healthz = {"endpoint": "healthz", "status": "200"}
    name = "compte_http_requests_total"
    assert metric_value(after, name, **healthz) - metric_value(before, name, **healthz) == 12
    assert "python_gc_objects_collected_total" not in after  # the multiprocess collector
    assert list((tmp_path / "metrics").glob("counter_*.db"))
