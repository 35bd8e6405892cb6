"""Error logs without secrets: Flask's "Exception on <path>" names the path redacted, SQL
errors never print their parameters, and gunicorn's logger redacts its messages and every
access-log atom that may hold the path."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from gunicorn.config import Config

from idp.core.extensions import db
from idp.gunicorn_log import RedactingLogger

SECRET_SID = "sid-SECRET-4f1c9a"
SECRET_TOKEN = "LINKTOKEN-SECRET-77"
SECRET_QUERY = "QUERY-SECRET-88"


def _all_text(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(message)s")
    return "\n".join(formatter.format(record) for record in records)


def test_sql_error_logs_hold_no_parameter_nor_link_token(app, caplog):
    """A view failing on SQL (SQLite and PostgreSQL) at a link-token path: the error log
    says "Exception on /invitation/…/boom [GET]" and its traceback shows the SQL without
    its parameters, so neither the token, the query string nor the `sid` appear."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom(token: str):
        # A bug, not an outage: a NOT NULL violation (IntegrityError on both databases).
        db.session.execute(
            sa.text("INSERT INTO account (email) VALUES (:sid)"), {"sid": SECRET_SID}
        )
        return "unreachable"

    app.add_url_rule("/invitation/<token>/boom", "boom", boom)
    caplog.set_level(logging.DEBUG)
    response = app.test_client().get(f"/invitation/{SECRET_TOKEN}/boom?x={SECRET_QUERY}")
    assert response.status_code == 500
    text = _all_text(caplog.records)
    assert "Exception on /invitation/…/boom [GET]" in text
    assert "INSERT INTO account" in text and "parameters hidden" in text
    for secret in (SECRET_SID, SECRET_TOKEN, SECRET_QUERY):
        assert secret not in text


def test_explicit_engine_options_still_hide_parameters(app):
    """The tests' own engine options (like any operator's) get hide_parameters=True merged."""
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    with app.app_context():
        assert db.engine.hide_parameters is True


@pytest.fixture
def gunicorn_logger(tmp_path):
    """Build gunicorn's logger (redacting) on files in tmp_path; its files are closed after."""
    built: list[RedactingLogger] = []

    def build(access_format: str | None = None) -> RedactingLogger:
        built.append(_gunicorn_logger(tmp_path, access_format))
        return built[-1]

    yield build
    for logger in built:
        for handler in logger.error_log.handlers + logger.access_log.handlers:
            handler.close()


def _gunicorn_logger(tmp_path, access_format: str | None = None) -> RedactingLogger:
    cfg = Config()
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("loglevel", "debug")
    if access_format:
        cfg.set("access_log_format", access_format)
    return RedactingLogger(cfg)


def test_gunicorn_error_handling_request_is_redacted(tmp_path, gunicorn_logger):
    """gunicorn's "Error handling request <uri>" (and its traceback, and a preformatted
    "Invalid request" warning) keep no link token and no query string."""
    logger = gunicorn_logger()
    uri = f"/password/reset/{SECRET_TOKEN}?id_token_hint={SECRET_QUERY}"
    try:
        raise RuntimeError(f"failed on {uri}")
    except RuntimeError:
        logger.exception("Error handling request %s %s", "GET", uri)
    logger.warning(f"Invalid request from ip=127.0.0.1: Invalid HTTP request line: '{uri}'")
    for handler in logger.error_log.handlers:
        handler.flush()
    text = (tmp_path / "error.log").read_text()
    assert "Error handling request GET /password/reset/…?…" in text
    assert "failed on /password/reset/…?…" in text
    assert SECRET_TOKEN not in text and SECRET_QUERY not in text


def test_gunicorn_access_atoms_are_redacted(tmp_path, gunicorn_logger):
    """Every atom that may carry the path, the query or credentials is redacted, whatever
    access-log format an operator writes."""
    fmt = (
        '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s %({referer}i)s %({raw_uri}e)s '
        "%({query_string}e)s %({authorization}i)s %({cookie}i)s %({set-cookie}o)s "
        "%({werkzeug.request}e)s %({x-original-uri}i)s"
    )
    logger = gunicorn_logger(fmt)
    uri = f"/invitation/{SECRET_TOKEN}/continue?code={SECRET_QUERY}"
    referer = f"https://rp.example/register/confirm/{SECRET_TOKEN}?next={SECRET_QUERY}"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": uri,
        "PATH_INFO": uri.split("?")[0],
        "QUERY_STRING": uri.split("?")[1],
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "198.51.100.1",
        "HTTP_REFERER": referer,
        "werkzeug.request": SimpleNamespace(url=uri),
    }
    headers = [
        ("Referer", referer),
        ("Authorization", f"Bearer {SECRET_QUERY}"),
        ("Cookie", f"session={SECRET_QUERY}"),
        ("X-Original-URI", uri),
    ]
    request = SimpleNamespace(headers=headers)
    response = SimpleNamespace(
        status="200 OK", sent=10, headers=[("Set-Cookie", f"s={SECRET_QUERY}")]
    )
    logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    text = (tmp_path / "access.log").read_text()
    assert '"GET /invitation/…/continue?… HTTP/1.1"' in text
    # The absolute form of the request target ("GET http://host/path") is redacted too.
    absolute = {**environ, "RAW_URI": f"http://compte.example{uri}"}
    logger.access(response, request, absolute, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    text = (tmp_path / "access.log").read_text()
    assert '"GET http://compte.example/invitation/…/continue?… HTTP/1.1"' in text
    assert "https://rp.example/register/confirm/…?…" in text
    assert SECRET_TOKEN not in text and SECRET_QUERY not in text, text


def test_redact_helpers_cover_urls_and_free_text():
    """A Referer or absolute URL keeps its host and loses its token and query; a message
    loses the link tokens and query strings it mentions, nothing else."""
    from idp.core.request_log import redact_text, redact_url

    assert redact_url("https://h.example/password/reset/abc?x=1#f") == (
        "https://h.example/password/reset/…?…#…"
    )
    assert redact_url("/register/confirm/abc") == "/register/confirm/…"
    assert redact_url("https://h.example/") == "https://h.example/"
    assert redact_text("failed on '/invitation/abc/continue?code=1' (GET)") == (
        "failed on '/invitation/…/continue?…' (GET)"
    )
    assert redact_text("Booting worker with pid: 12") == "Booting worker with pid: 12"


def test_postgresql_messages_lose_the_values_they_quote():
    """DETAIL/CONTEXT lines (failing rows, duplicate keys) and quoted input values go; the
    primary message that says what went wrong stays."""
    from idp.core.sql_errors import scrub

    unique = (
        'duplicate key value violates unique constraint "uq_used_link_token_hash"\n'
        "DETAIL:  Key (token_hash)=(9f86d081884c7d65) already exists."
    )
    assert (
        scrub(unique) == 'duplicate key value violates unique constraint "uq_used_link_token_hash"'
    )
    syntax = 'invalid input syntax for type integer: "SECRET-42"\nCONTEXT: unnamed portal'
    assert scrub(syntax) == 'invalid input syntax for type integer: "…"'
    assert scrub("NOT NULL constraint failed: account.sub") == (
        "NOT NULL constraint failed: account.sub"
    )
