"""`compte run`, the shipped production server (granian, idp/serving.py): an access log
with no link token, query string or hint and the client behind a trusted proxy, metrics
added up across workers, a clean stop, clear refusals of bad settings, and no process
environment in a request's WSGI environ."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from idp import serving
from tests.operations.helpers import (
    assert_no_secret_logged,
    assert_requests_counted,
    get,
    send_secrets,
    server_env,
    upgrade_database,
)
from tests.support.processes import BIN
from tests.support.servers import free_port, wait_until


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    (tmp_path / "tmp").mkdir()
    return {
        **server_env(tmp_path, port),
        "TMPDIR": str(tmp_path / "tmp"),  # where the metrics folder is made, then removed
        "COMPTE_METRICS_ALLOWED_NETWORKS": "127.0.0.1/32",
    }


def test_compte_run_serves_with_two_workers_and_stops_cleanly(tmp_path):
    """Two granian workers: secrets never reach the access or error log, the client behind
    the trusted proxy is the logged address, /metrics counts every worker's requests, and
    SIGTERM stops every process and removes the metrics folder it made."""
    port = free_port()
    env = _env(tmp_path, port)
    upgrade_database(env, tmp_path)
    options = ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"]
    process = subprocess.Popen(
        [str(BIN / "compte"), "run", *options],
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
        assert send_secrets(base) == 400  # the page saying the link is not valid
        assert_requests_counted(base, 20)
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
    assert "Listening at: http://127.0.0.1:" in errors  # granian's own messages
    assert_no_secret_logged(access, errors)


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
