"""Real gunicorn with the shipped configuration (config/gunicorn.conf.py): an access log
with no link token, query string or hint in it, the client's address taken from a trusted
proxy, and Prometheus metrics added up across the workers; the defaults of its settings
are those of `compte run`."""

from __future__ import annotations

import runpy
import subprocess

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
from tests.support.processes import BIN, ROOT
from tests.support.servers import free_port, wait_until

ACCESS_FORMAT = (
    '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s %({referer}i)s %({raw_uri}e)s %({query_string}e)s'
)


def test_gunicorn_shipped_configuration(tmp_path):
    """Two gthread workers behind the shipped configuration: secrets never reach the access
    or error log (request line, path, query, Referer, environ atoms), the client behind the
    trusted proxy is the logged address, and /metrics counts every worker's requests."""
    port = free_port()
    env = {
        **server_env(tmp_path, port),
        "COMPTE_BIND": f"127.0.0.1:{port}",
        "COMPTE_WORKERS": "2",
        "COMPTE_THREADS": "2",
        "COMPTE_ACCESS_LOG": str(tmp_path / "access.log"),
        "COMPTE_ERROR_LOG": str(tmp_path / "error.log"),
    }
    upgrade_database(env, tmp_path)
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
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
        wait_until(lambda: get(base + "/healthz")[0] == 200, timeout=60)
        send_secrets(base)
        assert_requests_counted(base, 12)
        assert get(base + "/readyz")[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=30)

    access = (tmp_path / "access.log").read_text()
    errors = (tmp_path / "error.log").read_text()
    assert '198.51.100.7 "GET /password/reset/…?… HTTP/1.1" 4' in access, access
    assert_no_secret_logged(access, errors)
    assert list((tmp_path / "metrics").glob("counter_*.db"))


def test_gunicorn_configuration_takes_the_defaults_of_compte_run(monkeypatch, tmp_path):
    """config/gunicorn.conf.py writes no default of its own: a default changed in
    SERVER_SETTINGS (idp/serving.py) changes both servers."""
    for name in serving.SERVER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # no folder made here
    monkeypatch.setitem(serving.SERVER_SETTINGS, "COMPTE_BIND", ("127.0.0.1:9999", ""))
    monkeypatch.setitem(serving.SERVER_SETTINGS, "COMPTE_THREADS", ("7", ""))
    monkeypatch.setitem(serving.SERVER_SETTINGS, "COMPTE_ACCESS_LOG", ("", ""))
    monkeypatch.setitem(serving.SERVER_SETTINGS, "COMPTE_ERROR_LOG", ("errors.log", ""))
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert config["bind"] == ["127.0.0.1:9999"] and config["threads"] == 7
    assert config["accesslog"] is None and config["errorlog"] == "errors.log"
    monkeypatch.setenv("COMPTE_WORKERS", "0")
    with pytest.raises(serving.ServerSettingError, match="COMPTE_WORKERS must be a whole"):
        runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
