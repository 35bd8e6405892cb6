"""Fixtures built on the app factory. Every test using `app` runs on SQLite and, when
COMPTE_TEST_DATABASE_URL is set, on PostgreSQL too (each in a schema of its own)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from idp import create_app
from idp.cli import main
from idp.core.cli import AppContext
from idp.core.extensions import db
from idp.mail.sink import MailSink
from idp.maintenance import stop_all_background, stop_background
from idp.oidc import lean
from tests.support.connections import close_left_open
from tests.support.servers import free_port

pytest_plugins = ["tests.support.captcha", "tests.support.browser", "tests.support.audit"]

PG_URL = os.environ.get("COMPTE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("COMPTE_TEST_REDIS_URL")
IN_CI = os.environ.get("CI") == "true"
BACKENDS = ["sqlite", "postgresql"]
OUTPUT_DIR = Path(__file__).resolve().parent.parent / "test-output"


def _missing(what: str, variable: str) -> None:
    message = f"{what} tests need {variable} (set by .ci/run)"
    if IN_CI:
        pytest.fail(f"{message}: CI must run them")
    pytest.skip(message)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'compte.db'}", {}
        stop_all_background(timeout=10)  # no worker of any app outlives its database
        return
    if not PG_URL:
        _missing("PostgreSQL", "COMPTE_TEST_DATABASE_URL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            PG_URL,
            {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True},
        )
    finally:
        stop_all_background(timeout=10)  # no worker of any app outlives its database
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def smtp_sink(tmp_path: Path) -> Iterator[MailSink]:
    """A real aiosmtpd server on a free port; messages land in a temporary folder."""
    with MailSink(tmp_path / "mailsink", port=free_port()) as sink:
        yield sink


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def settings(database_url, smtp_sink: MailSink, tmp_path: Path, app_port: int) -> dict:
    """Test settings; a test module may override this fixture to change some."""
    url, engine_options = database_url
    return {
        "PRESET": "cnfpt",
        "ISSUER": f"http://127.0.0.1:{app_port}",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": url,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_sink.port,
        "MAILSINK_DIR": str(smtp_sink.directory),
        # Delivery runs as in production (a worker thread of the serving process), with
        # short waits so that retries happen within a test.
        "MAIL_WORKER": True,
        "MAIL_WORKER_INTERVAL": 0.2,
        "MAIL_RETRY_DELAYS": [0.5, 1],
        "MAIL_TIMEOUT": 5,
        "MAINTENANCE_INTERVAL": 0,
        # Flask-Mail suppresses sending when TESTING; our tests read real SMTP from the sink.
        "MAIL_SUPPRESS_SEND": False,
        "BCRYPT_ROUNDS": 4,
        "TESTING": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}",
    }


class ClosingClient(FlaskClient):
    """Reads each answer whole and closes it, as a WSGI server does: a file sent by
    send_file (static files, the launcher widget) is not left open until garbage collection."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(settings: dict, tmp_path: Path):
    """A Compte app on a fresh database with every table created."""
    application = create_app(settings, instance_path=str(tmp_path / "instance"))
    application.test_client_class = ClosingClient
    with application.app_context():
        db.create_all()
    yield application
    stop_background(application, timeout=10)
    lean.dispose(application)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def no_background_work_left():
    """Apps a test built on a database of its own may have started background work, and
    left database connections open: none of it outlives the test."""
    yield
    stop_all_background(timeout=10)
    close_left_open()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app, app_port: int) -> Iterator[str]:
    """Compte served over real HTTP at its ISSUER."""
    from tests.support.servers import serve_wsgi

    with serve_wsgi(app, app_port) as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        _missing("Redis", "COMPTE_TEST_REDIS_URL")
    return REDIS_URL


@pytest.fixture
def output_dir(request) -> Path:
    """A folder for this test's artefacts (screenshots): test-output/<test name>/."""
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    folder = OUTPUT_DIR / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def cli(app) -> Callable[..., Result]:
    """Run `compte …` in-process against the test app (CliRunner, real database)."""
    context = AppContext()
    context._app = app

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            main, list(args), obj=context, input=input, catch_exceptions=False
        )

    return run
