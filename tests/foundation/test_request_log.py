"""The access log of `compte serve` never holds a link token or a query string."""

import contextlib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from idp.core.request_log import access_entry, redact
from tests.support.servers import free_port, wait_until


def test_redact_blanks_link_tokens_and_queries():
    """Tokens in e-mail link paths and every query string are blanked; other paths stay."""
    assert redact("/password/reset/SECRET") == "/password/reset/…"
    assert redact("/register/confirm/SECRET?x=1") == "/register/confirm/…?…"
    assert redact("/invitation/SECRET/continue") == "/invitation/…/continue"
    assert redact("/oauth/logout?id_token_hint=SECRET") == "/oauth/logout?…"
    assert redact("/login") == "/login"


def test_compte_serve_logs_no_secret(tmp_path):
    """A real `compte serve` process logs the request line without the link token."""
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "COMPTE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "COMPTE_SECRET_KEY": "x",
        "COMPTE_MAIL_WORKER": "false",
        "COMPTE_ISSUER": f"http://127.0.0.1:{port}",
    }
    compte = str(Path(sys.executable).parent / "compte")
    subprocess.run(
        [compte, "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [compte, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=1)
            except OSError:
                return False
            return True

        wait_until(answers, timeout=30)
        with contextlib.suppress(OSError):  # an unknown link answers 4xx: the log matters
            urllib.request.urlopen(url + "/password/reset/TOPSECRETTOKEN?next=SECRETQUERY")
        time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=10)
    text = log.read_text()
    assert "/password/reset/…" in text, text[-2000:]
    assert "TOPSECRETTOKEN" not in text and "SECRETQUERY" not in text


def test_access_entry_is_one_redacted_line():
    """`compte run`'s access line: client, request line without token or query, status,
    size, Referer redacted, agent, time; a decoded %0A cannot start a forged line."""
    environ = {
        "REMOTE_ADDR": "198.51.100.7",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/invitation/TOPSECRETTOKEN/x\n203.0.113.9 - - forged",
        "QUERY_STRING": "next=SECRETQUERY",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://rp.example/x?code=SECRETCODE",
        "HTTP_USER_AGENT": 'Agent "quoted"',
    }
    line = access_entry(environ, "404", "12", 0.0123, 0)
    assert "\n" not in line and "SECRET" not in line
    assert line.startswith("198.51.100.7 - - [")
    assert '"GET /invitation/…/x\\x0a203.0.113.9 - - forged?… HTTP/1.1" 404 12' in line
    assert '404 12 "https://rp.example/x?…"' in line
    assert line.endswith("\"Agent 'quoted'\" 12.3")
