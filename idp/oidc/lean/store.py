"""The lean path's SQL: one statement per request, on a connection pool of its own.

The pool runs in autocommit and never pings: a read is one round trip, and a write (a
token, its audit event, a rotation) is one statement that PostgreSQL commits durably on
its own. A client_credentials token is decided on the pool's copy of its client and
written by a statement that checks the client's row is still that version (xmin), so the
request is one round trip; a changed client is read again. A broken connection fails its
statement, is thrown away, and the full path answers that request. Rows come back as
transient model objects (never added to a session), so that the models' own rules
(`Client.check_client_secret`, `Account.is_active`, `Token.get_expires_at`…) apply
unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import Flask
from psycopg.types.json import Json
from sqlalchemy.dialects import postgresql

from idp.accounts.models import Account
from idp.audit.models import AuditEvent
from idp.oidc.models import Client, Token


class Shape:
    """How one table's columns are selected under an alias and made into an object."""

    def __init__(self, model: type, alias: str) -> None:
        mapper = sa.inspect(model)
        self.manager = mapper.class_manager
        self.keys = [prop.key for prop in mapper.column_attrs]
        self.select = ", ".join(f"{alias}.{prop.columns[0].name}" for prop in mapper.column_attrs)

    def build(self, values: Sequence[Any]) -> Any:
        """The transient object of these values, or None for a LEFT JOIN's empty side.
        Filled as SQLAlchemy's own loading fills an instance (its __dict__, no change
        events: a third of the request's time otherwise); read-only, never in a session."""
        if values[0] is None:  # the primary key comes first
            return None
        instance = self.manager.new_instance()
        instance.__dict__.update(zip(self.keys, values, strict=True))
        return instance


TOKEN = Shape(Token, "t")
CLIENT = Shape(Client, "c")
ACCOUNT = Shape(Account, "a")


class Loaded(NamedTuple):
    client: Client | None
    token: Token | None
    account: Account | None


def _split(row: Sequence[Any]) -> Loaded:
    first, second = len(CLIENT.keys), len(CLIENT.keys) + len(TOKEN.keys)
    return Loaded(
        CLIENT.build(row[:first]), TOKEN.build(row[first:second]), ACCOUNT.build(row[second:])
    )


_SELECT = f"SELECT {CLIENT.select}, {TOKEN.select}, {ACCOUNT.select}"
# A bearer token with its client and person (userinfo).
BY_ACCESS_TOKEN = (
    f"{_SELECT} FROM oauth_token t JOIN oauth_client c ON c.client_id = t.client_id"
    " LEFT JOIN account a ON a.id = t.account_id WHERE t.access_token_hash = %(digest)s"
)
# An authenticating client, with the token it presents (if it exists) and its person.
_CLIENT_WITH = (
    f"{_SELECT} FROM oauth_client c LEFT JOIN oauth_token t ON {{match}}"
    " LEFT JOIN account a ON a.id = t.account_id WHERE c.client_id = %(client_id)s"
)
CLIENT_WITH_ANY_TOKEN = _CLIENT_WITH.format(
    match="(t.access_token_hash = %(digest)s OR t.refresh_token_hash = %(digest)s)"
)
CLIENT_WITH_REFRESH_TOKEN = _CLIENT_WITH.format(match="t.refresh_token_hash = %(digest)s")
# A client with its row version (xmin: a new one at every UPDATE of the row), which the
# write checks again (client_credentials).
CLIENT_VERSIONED = (
    f"SELECT {CLIENT.select}, CAST(c.xmin AS text) FROM oauth_client c"  # noqa: S608
    " WHERE c.client_id = %(client_id)s"
)
KEPT_CLIENTS = 256  # client rows kept per pool, with their versions


class Versioned(NamedTuple):
    client: Client
    version: str  # oauth_client.xmin when it was read
    kept: bool  # from the pool's copy (it may be out of date: the write checks)


_EVENT_COLUMNS = tuple(c.name for c in AuditEvent.__table__.columns if c.name != "id")


def _typed(table: sa.Table, prefix: str, columns: Sequence[str]) -> str:
    """Parameters for `columns`, cast to their column types: in `INSERT … SELECT`
    PostgreSQL does not take a parameter's type from the target column (a NULL would be
    text)."""
    dialect = postgresql.dialect()
    return ", ".join(
        f"CAST(%({prefix}{c})s AS {table.c[c].type.compile(dialect=dialect)})" for c in columns
    )


@functools.cache
def _issue(token_columns: tuple[str, ...], event_columns: tuple[str, ...], mode: str | None) -> str:
    """One statement: the new token and its audit event, written only when `mode` allows:
    "client" when the client row is still the version the answer was decided on,
    "rotation" with the claim of the refresh token it replaces (nothing is written unless
    the claim succeeds). The columns left out are NULL (no parameter, no index entry to
    compute). Built from the models' column names only; every value is a bound
    parameter."""
    names = ", ".join(token_columns)
    values = _typed(Token.__table__, "t_", token_columns)
    events = ", ".join(event_columns)
    event_values = _typed(AuditEvent.__table__, "e_", event_columns)
    write = f" INSERT INTO audit_event ({events}) SELECT {event_values} FROM issued RETURNING id"  # noqa: S608
    if mode is None:
        return (
            f"WITH issued AS (INSERT INTO oauth_token ({names}) VALUES ({values}) RETURNING id)"  # noqa: S608
            + write
        )
    if mode == "client":
        # The answer was decided on a kept copy of the client: written only if the row is
        # unchanged (same xmin), else nothing, and the answer is decided again on the row.
        return (
            "WITH client AS (SELECT 1 FROM oauth_client WHERE client_id = %(client_id)s"  # noqa: S608
            " AND CAST(xmin AS text) = %(client_version)s),"
            f" issued AS (INSERT INTO oauth_token ({names}) SELECT {values} FROM client"
            " RETURNING id)" + write
        )
    # The conditional UPDATE is the claim (as in tokens.claim_refresh_token): of two
    # requests presenting the same refresh token, PostgreSQL lets one update the row; the
    # other finds it rotated, writes nothing, and goes to the full path (retry or reuse).
    return (
        "WITH claimed AS (UPDATE oauth_token SET rotated_at = %(rotated_at)s,"  # noqa: S608
        " retry_answer = %(retry_answer)s WHERE id = %(claimed_id)s"
        " AND rotated_at IS NULL AND revoked_at IS NULL RETURNING id, parent_id),"
        # The new token is in use: its parent's kept answer will never be needed again.
        " released AS (UPDATE oauth_token SET retry_answer = NULL"
        " WHERE id = (SELECT parent_id FROM claimed)),"
        f" issued AS (INSERT INTO oauth_token ({names}) SELECT {values} FROM claimed"
        " RETURNING id)" + write
    )


def _value(value: Any) -> Any:
    """A column's value as psycopg sends it: a JSON column's dict or list (Token.claims,
    inherited through rotation) as JSON."""
    return Json(value) if isinstance(value, dict | list) else value


class Store:
    """The pool and the statements of the lean path, for one app."""

    def __init__(self, app: Flask) -> None:
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["pool_pre_ping"] = False  # a dead connection fails once; the full path answers
        options["pool_reset_on_return"] = None  # autocommit: no transaction is ever left open
        options.pop("isolation_level", None)
        self.engine = sa.create_engine(
            app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT", **options
        )
        # The clients' rows, as read last (a token request needs its client before the
        # write, which checks the row is unchanged: one round trip instead of two).
        self.clients: dict[str, Versioned] = {}

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        connection = self.engine.raw_connection()
        try:
            with connection.cursor() as cursor:
                yield cursor
        except Exception:
            connection.invalidate()  # never hand a connection in an unknown state back
            raise
        finally:
            connection.close()

    def load(self, statement: str, **params: Any) -> Loaded | None:
        """The client, token and account of one SELECT above (None: no row)."""
        with self._cursor() as cursor:
            cursor.execute(statement, params)
            row = cursor.fetchone()
        return None if row is None else _split(row)

    def client(self, client_id: str, *, fresh: bool = False) -> Versioned | None:
        """A client and its row version: the pool's copy unless `fresh` (then read, and
        kept). A copy may be out of date; `issue(…, client=…)` writes only if it is not."""
        if not fresh:
            kept = self.clients.get(client_id)
            if kept is not None:
                return kept
        with self._cursor() as cursor:
            cursor.execute(CLIENT_VERSIONED, {"client_id": client_id})
            row = cursor.fetchone()
        if row is None:
            self.clients.pop(client_id, None)
            return None
        if len(self.clients) >= KEPT_CLIENTS:
            self.clients.clear()
        client = CLIENT.build(row[:-1])  # read-only: never in a session, never changed
        self.clients[client_id] = Versioned(client, row[-1], kept=True)
        return Versioned(client, row[-1], kept=False)

    def issue(
        self,
        token_row: dict[str, Any],
        event: dict[str, Any],
        claim: tuple[int, datetime, str | None] | None = None,
        client: Versioned | None = None,
    ) -> bool:
        """Write a new token and its audit event in one durable statement; with `claim`
        (refresh token id, rotation time, sealed answer kept for a retry), only if that
        refresh token is still unrotated; with `client`, only if that client's row is
        still that version. True when written."""
        token_columns = tuple(k for k, v in token_row.items() if v is not None)
        event_columns = tuple(k for k in _EVENT_COLUMNS if event.get(k) is not None)
        params = {f"t_{k}": _value(token_row[k]) for k in token_columns}
        params.update({f"e_{k}": event[k] for k in event_columns})
        params["e_details"] = Json(event["details"])
        mode = None
        if claim is not None:
            mode = "rotation"
            params["claimed_id"], params["rotated_at"], params["retry_answer"] = claim
        elif client is not None:
            mode = "client"
            params["client_id"], params["client_version"] = client.client.client_id, client.version
        with self._cursor() as cursor:
            cursor.execute(_issue(token_columns, event_columns, mode), params)
            if cursor.fetchone() is not None:
                return True
        if client is not None:
            self.clients.pop(client.client.client_id, None)  # changed: read it again
        return False

    def dispose(self) -> None:
        self.engine.dispose()
