"""Fixtures of the upstream sign-in tests: a second Compte, served over real HTTP on
127.0.0.1 as `localhost` (its own database: a SQLite file, or a PostgreSQL schema of its
own), plays FranceConnect; a person and a client for our Compte on it; our Compte served
too (`live_server`), the upstream declared in it; and a browser (requests) that walks
through both."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from idp.accounts.services import create_account
from idp.core.extensions import db
from idp.federation import discovery
from tests.conftest import PG_URL
from tests.federation.helpers import (
    CITIZEN_EMAIL,
    CITIZEN_PASSWORD,
    PROVIDER,
    Browser,
    Citizen,
    UpstreamClient,
    declare,
    register_client,
)
from tests.support.upstream import Upstream, upstream_compte


@pytest.fixture(autouse=True)
def fresh_metadata() -> Iterator[None]:
    """Every test starts with no provider document cached (each has its own upstream)."""
    discovery.forget()
    yield
    discovery.forget()


@pytest.fixture
def upstream_database(backend: str, tmp_path: Path) -> Iterator[dict]:
    """The upstream's own database: a SQLite file, or a PostgreSQL schema of its own."""
    if backend == "sqlite" or not PG_URL:
        yield {}  # upstream_compte's SQLite file
        return
    schema = f"u_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {
            "DATABASE_URL": PG_URL,
            "SQLALCHEMY_DATABASE_URI": PG_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "connect_args": {"options": f"-csearch_path={schema}"},
                "pool_pre_ping": True,
            },
        }
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def upstream(upstream_database: dict, tmp_path: Path) -> Iterator[Upstream]:
    """A second Compte playing FranceConnect, at http://localhost:<port> (another host
    name than ours: the browser keeps one session cookie per host)."""
    with upstream_compte(tmp_path, host="localhost", **upstream_database) as found:
        yield found


@pytest.fixture
def citizen_on() -> Callable[[Upstream], Citizen]:
    """Make the person's account on an upstream."""
    return make_citizen


@pytest.fixture
def citizen(upstream: Upstream) -> Citizen:
    """A person with an account on the upstream."""
    return make_citizen(upstream)


def make_citizen(upstream: Upstream) -> Citizen:
    with upstream.app.app_context():
        account = create_account(
            email=CITIZEN_EMAIL,
            password=CITIZEN_PASSWORD,
            given_name="Camille",
            family_name="Martin",
            civility="mme",
            birthdate=date(1990, 4, 12),
            confirmed=True,
        )
        db.session.commit()
        return Citizen(CITIZEN_EMAIL, CITIZEN_PASSWORD, account.sub)


@pytest.fixture
def upstream_client(upstream: Upstream, live_server: str) -> UpstreamClient:
    return register_client(upstream, live_server)


@pytest.fixture
def provider(app, upstream: Upstream, upstream_client: UpstreamClient) -> str:
    """The upstream declared in our Compte as FranceConnect (acr eidas1); its name."""
    declare(app, upstream.url, upstream_client)
    return PROVIDER


@pytest.fixture
def browser(live_server: str) -> Browser:
    return Browser(live_server)
