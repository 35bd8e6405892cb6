"""`compte run`, the shipped production server (granian, idp/serving.py): an access log
with no link token, query string or hint and the client behind a trusted proxy, metrics
added up across workers, a clean stop, clear refusals of bad settings, and no process
environment in a request's WSGI environ."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from idp import serving
from tests.operations.helpers import get, metric_value
from tests.support.processes import BIN
from tests.support.servers import free_port, wait_until

SECRETS = ("TOPSECRETTOKEN", "SECRETQUERY", "SECRETHINT", "SECRETREF", "SECRETCODE")


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    (tmp_path / "tmp").mkdir()
    return {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "TMPDIR": str(tmp_path / "tmp"),  # where the metrics folder is made, then removed
        "COMPTE_DATABASE_URL": f"sqlite:///{tmp_path / 'compte.db'}",
        "COMPTE_SECRET_KEY": "compte-run-test-secret-key",
        "COMPTE_MAIL_WORKER": "false",
        "COMPTE_MAINTENANCE_INTERVAL": "0",
        "COMPTE_ISSUER": f"http://127.0.0.1:{port}",
        "COMPTE_TRUSTED_PROXIES": "127.0.0.1",
        "COMPTE_METRICS_ALLOWED_NETWORKS": "127.0.0.1/32",
    }


def test_compte_run_serves_with_two_workers_and_stops_cleanly(tmp_path):
    """Two granian workers: secrets never reach the access or error log, the client behind
    the trusted proxy is the logged address, /metrics counts every worker's requests, and
    SIGTERM stops every process and removes the metrics folder it made."""
    port = free_port()
    env = _env(tmp_path, port)
    compte = str(BIN / "compte")
    subprocess.run(
        [compte, "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True
    )
    process = subprocess.Popen(
        [compte, "run", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
        env={
            **env,
            "COMPTE_ACCESS_LOG": str(tmp_path / "access.log"),
            "COMPTE_ERROR_LOG": str(tmp_path / "error.log"),
        },
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: get(base + "/healthz")[0] == 200, timeout=60)
        workers = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(workers) == 2, workers
        status, _ = get(
            base + "/password/reset/TOPSECRETTOKEN?next=SECRETQUERY",
            {
                "X-Forwarded-For": "198.51.100.7",
                "Referer": "https://rp.example/invitation/SECRETREF?code=SECRETCODE",
            },
        )
        assert status == 400  # the page saying the link is not valid
        get(base + "/oauth/authorize?client_id=nope&id_token_hint=SECRETHINT")
        before = get(base + "/metrics")[1]
        for _ in range(20):
            assert get(base + "/healthz")[0] == 200
        status, after = get(base + "/metrics")
        assert status == 200
        assert get(base + "/readyz")[0] == 200
        assert list((tmp_path / "tmp").glob("compte-metrics-*/counter_*.db"))
    finally:
        process.terminate()
        process.wait(timeout=40)
    assert process.returncode == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
    assert not list((tmp_path / "tmp").iterdir())  # its own metrics folder is gone

    access = (tmp_path / "access.log").read_text()
    errors = (tmp_path / "error.log").read_text()
    assert "198.51.100.7 - - [" in access, access
    assert '"GET /password/reset/…?… HTTP/1.1" 400 ' in access, access
    assert '"https://rp.example/invitation/…?…"' in access
    assert '"GET /oauth/authorize?… HTTP/1.1"' in access
    assert "Listening at: http://127.0.0.1:" in errors  # granian's own messages
    for secret in SECRETS:
        assert secret not in access and secret not in errors, secret

    healthz = {"endpoint": "healthz", "status": "200"}
    name = "compte_http_requests_total"
    assert metric_value(after, name, **healthz) - metric_value(before, name, **healthz) == 20
    assert "python_gc_objects_collected_total" not in after  # the multiprocess collector


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workers", "0"], "COMPTE_WORKERS must be a whole number of at least 1, not '0'"),
        (["--threads", "many"], "COMPTE_THREADS must be a whole number of at least 1"),
        (["--bind", "127.0.0.1:1,127.0.0.1:2"], "COMPTE_BIND must be one host:port"),
        (["--bind", "localhost"], "COMPTE_BIND must be one host:port"),
    ],
)
def test_compte_run_refuses_bad_settings_before_starting(tmp_path, options, message):
    """A bad setting is named with its fix and nothing starts (exit status 2)."""
    result = subprocess.run(
        [str(BIN / "compte"), "run", *options],
        env=_env(tmp_path, free_port()),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_process_environment_stays_out_of_the_request_environ(monkeypatch):
    """granian copies os.environ into every environ: the app sees none of it (no secret
    key, no HTTP_PROXY posing as a header), while the headers the client sent stay."""
    monkeypatch.setenv("COMPTE_SECRET_KEY", "process-secret")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("HTTP_X_SHARED", "same")
    seen: list[dict] = []
    app = serving.without_process_env(lambda environ, start: seen.append(dict(environ)) or [])

    scope = {"PATH_INFO": "/", "REQUEST_METHOD": "GET", "HTTP_HOST": "compte.example"}
    app(dict(serving.os.environ) | scope, None)
    app(dict(serving.os.environ) | scope | {"HTTP_PROXY": "sent-by-client"}, None)

    first, second = seen
    assert "COMPTE_SECRET_KEY" not in first and "PATH" not in first
    assert "HTTP_PROXY" not in first and "HTTP_X_SHARED" not in first
    assert first["HTTP_HOST"] == "compte.example" and first["PATH_INFO"] == "/"
    assert second["HTTP_PROXY"] == "sent-by-client"
