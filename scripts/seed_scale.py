"""Seed a PostgreSQL database of Compte at scale (issue "Speed and scale"): a million
accounts and ten million token rows in minutes, to measure sign-in, the protocol endpoints
and the hourly purge against them.

    .venv/bin/python scripts/seed_scale.py --create \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/compte_scale \
        --accounts 1000000 --tokens 10000000 --sample-out /tmp/compte_scale.json

The schema and the clients come from Compte itself (create_app, db.create_all,
idp.oidc.clients.create_client); the bulk rows (accounts with their password history and
terms acceptance, tokens, optionally browser sessions) are streamed with PostgreSQL's
COPY through psycopg 3, filled as the app fills them: one shared bcrypt hash
(idp.accounts.passwords) so that every account signs in with --password, SHA-256 digests
of random secrets (idp.core.digest), rotation chains (parent_id, rotated_at) within a
family. About --expired-share of the tokens can no longer be used, for the purge to find.

--sample-out writes live secrets for the bench: the clients' secrets, one access token,
--sample-refresh refresh tokens (their values; only their digests are stored) and 64
account e-mails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

import psycopg
from bench_seed import create_database
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Echelle-Compte-2026"  # noqa: S105  (throw-away password of the seeded accounts)
TOKEN_SCOPE = "openid profile email offline_access"  # noqa: S105
SERVICE_SCOPE = "openid"
GIVEN_NAMES = ("Camille", "Dominique", "Claude", "Alix", "Sacha", "Maxime", "Charlie", "Lou")
# A long life for the sample access token: the bench may run days after the seed.
SAMPLE_ACCESS_LIFETIME = 30 * 86400
CHUNK_ROWS = 20_000  # rows per write into the COPY stream (about 4 MB of tokens)
# Loaded tables whose secondary indexes and constraints the "rebuild" mode drops and
# creates again (their primary keys stay: other tables' foreign keys point at them).
LOADED = (
    "account",
    "password_history",
    "terms_acceptance",
    "oauth_token",
    "oauth_browser_session",
    "oauth_session_client",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True, help="postgresql+psycopg://… of the database")
    p.add_argument("--create", action="store_true", help="drop and create the database first")
    p.add_argument("--accounts", type=int, default=1000)
    p.add_argument("--tokens", type=int, default=10_000)
    p.add_argument("--sessions", type=int, default=0, help="browser sessions (for the purge)")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--password", default=PASSWORD, help="the password of every account")
    p.add_argument("--preset", default="cnfpt", help="settings preset (bench default: cnfpt)")
    p.add_argument("--bcrypt-rounds", type=int, default=None, help="default: the preset's")
    p.add_argument("--expired-share", type=float, default=0.7, help="tokens the purge removes")
    p.add_argument(
        "--indexes",
        choices=("rebuild", "keep"),
        default="rebuild",
        help="drop the secondary indexes and constraints during the load and build them "
        "after (faster), or load with them in place",
    )
    p.add_argument("--sample-out", type=Path, default=None, help="JSON of live secrets")
    p.add_argument("--sample-refresh", type=int, default=1000)
    p.add_argument("--sample-accounts", type=int, default=64)
    p.add_argument("--seed", type=int, default=None, help="random seed of the spread")
    return p.parse_args(argv)


# --- Timing and progress --------------------------------------------------------------


class Phases:
    """Wall time of each phase, printed as it ends and again at the end."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
        print(f"{name}: {self.times[name]:.1f} s", file=sys.stderr, flush=True)

    def report(self) -> str:
        lines = [f"  {name:<60} {seconds:8.1f} s" for name, seconds in self.times.items()]
        total = time.perf_counter() - self.started
        return "\n".join(["Phases:", *lines, f"  {'total':<60} {total:8.1f} s"])


class Progress:
    """A one-line bar on stderr: done/total, rows per second, time left."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.start = self.shown = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def update(self, rows: int) -> None:
        self.done += rows
        now = time.perf_counter()
        # A redrawn line on a terminal; in a log file, a line every 10 s only.
        if now - self.shown >= (0.2 if self.tty else 10.0):
            self.shown = now
            self._draw(now, end="\r" if self.tty else "\n")

    def close(self) -> None:
        self._draw(time.perf_counter(), end="\n")

    def _draw(self, now: float, end: str) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        share = min(self.done / self.total, 1.0)
        left = (self.total - self.done) / rate if rate else 0.0
        bar = "#" * int(share * 30)
        print(
            f"{self.label:<16} [{bar:<30}] {share:6.1%} {self.done:>12,}/{self.total:,} "
            f"{rate:>10,.0f} rows/s  ETA {left // 60:3.0f}:{left % 60:02.0f}",
            end=end,
            file=sys.stderr,
            flush=True,
        )


# --- Values as the app writes them ---------------------------------------------------


def _stamp(epoch: float) -> str:
    """A naive UTC timestamp, as utcnow() stores it."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def _copy_text(value: Any) -> str:
    """One field of COPY's text format (None is \\N; the values here need no escaping)."""
    return "\\N" if value is None else str(value)


class Randomness:
    """Fast randomness for the bulk rows: the digests of secrets nobody will ever present
    only need to look like the app's; the sample secrets use `secrets` (see Sample)."""

    def __init__(self, seed: int | None) -> None:
        self.r = random.Random(seed)

    def digest(self) -> str:
        # As secret_digest does: the hex SHA-256 of a random secret.
        return sha256(self.r.randbytes(32)).hexdigest()

    def uuid4(self) -> str:
        h = self.r.randbytes(16).hex()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def sid(self) -> str:
        # secrets.token_urlsafe(24) has 32 characters.
        return self.r.randbytes(16).hex()


@dataclass
class Sample:
    """Live secrets handed to the bench (values; the database holds their digests)."""

    clients: list[dict[str, str]] = field(default_factory=list)
    access_token: str = ""
    access_account: int = 0
    refresh_tokens: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


# --- COPY -------------------------------------------------------------------------------


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq takes it (no +driver)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def copy_rows(
    conn: psycopg.Connection,
    table: str,
    columns: tuple[str, ...],
    chunks: Iterator[list[tuple]],
    total: int,
) -> int:
    """Stream `chunks` of rows into `table` with one COPY, in one transaction."""
    progress = Progress(table, total)
    count = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor() as cur, cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        for rows in chunks:
            copy.write("".join("\t".join(map(_copy_text, row)) + "\n" for row in rows).encode())
            count += len(rows)
            progress.update(len(rows))
    conn.commit()
    progress.close()
    return count


def next_id(conn: psycopg.Connection, table: str) -> int:
    """The first free id of `table` (rows are given their ids, the sequence set after)."""
    query = sql.SQL("SELECT coalesce(max(id), 0) + 1 FROM {}").format(sql.Identifier(table))
    return conn.execute(query).fetchone()[0]


def chunked(rows: Iterator[tuple], size: int = CHUNK_ROWS) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- Indexes -----------------------------------------------------------------------------


@dataclass
class Secondary:
    """What the rebuild mode drops before the load and creates after."""

    foreign_keys: list[tuple[str, str, str]]  # (table, name, definition)
    uniques: list[tuple[str, str, str]]
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX …)


def secondary_of(conn: psycopg.Connection, tables: tuple[str, ...]) -> Secondary:
    constraints = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
        "WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace "
        "AND c.contype IN ('f', 'u') ORDER BY c.conname",
        (list(tables),),
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
        "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname AND c.contype IN ('p', 'u', 'x')) ORDER BY 1",
        (list(tables),),
    ).fetchall()
    return Secondary(
        foreign_keys=[(t, n, d) for t, n, kind, d in constraints if kind == "f"],
        uniques=[(t, n, d) for t, n, kind, d in constraints if kind == "u"],
        indexes=list(indexes),
    )


def drop_secondary(conn: psycopg.Connection, found: Secondary) -> None:
    for table, name, _ in found.foreign_keys + found.uniques:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for name, _ in found.indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    conn.commit()


def create_secondary(conn: psycopg.Connection, found: Secondary, phases: Phases) -> None:
    # Sorting a 10M-row index in memory (and in parallel workers) is what makes the
    # rebuild faster than maintaining the index row by row.
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 2")
    for table, name, definition in found.uniques:
        with phases.phase(f"  unique {name}"):
            conn.execute(_add_constraint(table, name, definition))
            conn.commit()
    for name, definition in found.indexes:
        with phases.phase(f"  index {name}"):
            conn.execute(sql.SQL(definition))  # pg_indexes' own CREATE INDEX text
            conn.commit()
    for table, name, definition in found.foreign_keys:
        with phases.phase(f"  foreign key {name}"):
            conn.execute(_add_constraint(table, name, definition))
            conn.commit()


def _add_constraint(table: str, name: str, definition: str) -> sql.Composed:
    # `definition` is PostgreSQL's own pg_get_constraintdef text, read back as it was.
    return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
        sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
    )


# --- Rows ------------------------------------------------------------------------------


ACCOUNT_COLUMNS = (
    "id",
    "sub",
    "civility",
    "given_name",
    "family_name",
    "birthdate",
    "email",
    "email_confirmed_at",
    "password_hash",
    "password_changed_at",
    "session_epoch",
    "created_at",
    "is_admin",
    "terms_version",
    "terms_accepted_at",
)


def account_email(account_id: int) -> str:
    return f"user{account_id:07d}@scale.example"


def account_rows(
    rnd: Randomness, first: int, count: int, password_hash: str, terms: str | None, now: float
) -> Iterator[tuple]:
    """Confirmed accounts created over the last three years, in id order."""
    span = 3 * 365 * 86400
    stamp = ""
    for n in range(count):
        account_id = first + n
        if n % 1000 == 0:  # one creation time per thousand: strftime is the slow part
            stamp = _stamp(now - span + span * n / max(count, 1))
        yield (
            account_id,
            rnd.uuid4(),
            "mme" if account_id % 2 else "m",
            GIVEN_NAMES[account_id % len(GIVEN_NAMES)],
            f"Echelle{account_id}",
            f"{1950 + account_id % 55}-{1 + account_id % 12:02d}-{1 + account_id % 28:02d}",
            account_email(account_id),
            stamp,
            password_hash,
            stamp,
            0,
            stamp,
            "f",
            terms,
            stamp if terms else None,
        )


TOKEN_COLUMNS = (
    "id",
    "client_id",
    "account_id",
    "token_type",
    "access_token_hash",
    "refresh_token_hash",
    "family_id",
    "parent_id",
    "scope",
    "issued_at",
    "expires_in",
    "refresh_expires_at",
    "revoked_at",
    "rotated_at",
    "code_id",
    "sid",
    "auth_time",
)


@dataclass
class TokenPlan:
    first_id: int
    count: int
    accounts: tuple[int, int]  # first id, how many
    clients: list[str]
    access_lifetime: int
    refresh_lifetime: int
    expired_share: float
    now: int
    samples: int  # live sample tokens to place (1 access + refresh ones)


def token_rows(rnd: Randomness, plan: TokenPlan, sample: Sample) -> Iterator[tuple]:
    """Token families (an authorization and its rotations) issued uniformly over a span
    such that `expired_share` of them are past their refresh lifetime; 1 % are
    client_credentials tokens, 1 % of families revoked. The sample tokens are spread among
    them, live, each a family of its own."""
    r = rnd.r
    now, access, refresh = plan.now, plan.access_lifetime, plan.refresh_lifetime
    span = refresh / max(1.0 - plan.expired_share, 1e-6)
    first_account, accounts = plan.accounts
    clients = plan.clients
    places = sorted(r.sample(range(plan.count), min(plan.samples, plan.count)))
    next_place = 0
    code_id = 0
    token_id = plan.first_id
    end = plan.first_id + plan.count
    from idp.core.digest import secret_digest

    while token_id < end:
        done = token_id - plan.first_id
        if next_place < len(places) and done >= places[next_place]:
            # A live sample: its value is kept for the bench, its digest stored.
            value = secrets.token_urlsafe(32)
            account = first_account + r.randrange(accounts)
            if not sample.access_token:
                sample.access_token, sample.access_account = value, account
                row = (clients[0], account, secret_digest(value), None, SAMPLE_ACCESS_LIFETIME)
                refresh_at = None
            else:
                sample.refresh_tokens.append(value)
                row = (clients[0], account, rnd.digest(), secret_digest(value), access)
                refresh_at = now + refresh
            next_place += 1
            code_id += 1
            yield (
                token_id, row[0], row[1], "Bearer", row[2], row[3], rnd.uuid4(), None,
                TOKEN_SCOPE, now, row[4], refresh_at, None, None, code_id, rnd.sid(), now - 30,
            )  # fmt: skip
            token_id += 1
            continue
        client = clients[r.randrange(len(clients))]
        issued = int(now - r.random() * span)
        if r.random() < 0.01:  # a service's client_credentials token: no account, no refresh
            yield (
                token_id, client, None, "Bearer", rnd.digest(), None, rnd.uuid4(), None,
                SERVICE_SCOPE, issued, access, None, None, None, None, None, None,
            )  # fmt: skip
            token_id += 1
            continue
        # 60 % of authorizations were never refreshed, the others one to four times.
        length = min(1 if r.random() < 0.6 else r.randint(2, 5), end - token_id)
        # 1 % of authorizations were revoked (by the person or a reuse) within the hour.
        revoked = _stamp(issued + 3600) if r.random() < 0.01 else None
        if revoked:
            length = 1
        account = first_account + r.randrange(accounts)
        family, sid = rnd.uuid4(), rnd.sid()
        code_id += 1
        auth_time = issued - r.randrange(60)
        parent = None
        for link in range(length):
            # The next rotation comes once the access token has expired, within a day.
            child_issued = issued + access + r.randrange(86400)
            rotated = _stamp(child_issued) if link < length - 1 and child_issued < now else None
            yield (
                token_id, client, account, "Bearer", rnd.digest(), rnd.digest(), family, parent,
                TOKEN_SCOPE, issued, access, issued + refresh, revoked, rotated, code_id, sid,
                auth_time,
            )  # fmt: skip
            parent = token_id
            token_id += 1
            if rotated is None:
                break
            issued = child_issued


SESSION_COLUMNS = (
    "id",
    "sid",
    "account_id",
    "created_at",
    "last_seen_at",
    "ended_at",
    "remembered",
    "ended_reason",
    "ip_address",
    "user_agent",
    "device_hash",
)
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def session_rows(
    rnd: Randomness, first: int, count: int, accounts: tuple[int, int], now: float, sids: list
) -> Iterator[tuple]:
    """Browser sessions of the last year: 60 % ended days ago (the purge deletes them),
    10 % timed out but not marked ended (the purge ends them), the rest live. Their sids
    go to `sids`, for the session-client rows."""
    r = rnd.r
    first_account, how_many = accounts
    for n in range(count):
        created = now - r.random() * 365 * 86400
        kind = r.random()
        if kind < 0.6:
            seen = created + r.random() * 3600
            ended, reason = _stamp(min(seen + 7200, now - 2 * 86400)), "logout"
        elif kind < 0.7:
            seen, ended, reason = now - 3 * 86400, None, None
            created = min(created, seen)
        else:
            created = now - r.random() * 3600
            seen, ended, reason = created, None, None
        sid = rnd.sid()
        sids.append(sid)
        yield (
            first + n, sid, first_account + r.randrange(how_many), _stamp(created), _stamp(seen),
            ended, "f", reason, f"10.{n % 250}.{n // 250 % 250}.{n % 199 + 1}", USER_AGENT,
            rnd.digest() if r.random() < 0.5 else None,
        )  # fmt: skip


# --- Phases -------------------------------------------------------------------------------


def build_app(url: str, preset: str, rounds: int | None) -> Any:
    from idp import create_app

    overrides: dict[str, Any] = {
        "PRESET": preset,
        "DATABASE_URL": url,
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_WORKER": False,
        "MAINTENANCE_INTERVAL": 0,
    }
    if rounds:
        overrides["BCRYPT_ROUNDS"] = rounds
    return create_app(overrides, instance_path=tempfile.mkdtemp(prefix="compte-scale-"))


def make_clients(app: Any, count: int, sample: Sample) -> list[str]:
    """`count` confidential first-party clients made by Compte (secrets into `sample`)."""
    from idp.core.extensions import db
    from idp.oidc.capabilities import DEFAULT_SCOPES
    from idp.oidc.clients import create_client

    made = []
    with app.app_context():
        for n in range(count):
            client, secret = create_client(
                f"Scale RP {n + 1}",
                redirect_uris=["http://127.0.0.1:9/callback"],
                scopes=DEFAULT_SCOPES,
                grant_types=("authorization_code", "refresh_token", "client_credentials"),
                first_party=True,
            )
            made.append(client.client_id)
            sample.clients.append({"client_id": client.client_id, "client_secret": secret or ""})
        db.session.commit()
        db.session.remove()
    return made


def set_sequences(conn: psycopg.Connection, tables: tuple[str, ...]) -> None:
    for table in tables:
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({}, 'id'), "
                "(SELECT coalesce(max(id), 1) FROM {}))"
            ).format(sql.Literal(table), sql.Identifier(table))
        )
    conn.commit()


def run(args: argparse.Namespace) -> int:
    phases = Phases()
    rnd = Randomness(args.seed)
    sample = Sample()
    if args.create:
        with phases.phase("create database and schema"):
            create_database(args.database_url)
            app = build_app(args.database_url, args.preset, args.bcrypt_rounds)
            from idp.core.extensions import db

            with app.app_context():
                db.create_all()
                db.session.remove()
    else:
        app = build_app(args.database_url, args.preset, args.bcrypt_rounds)
    config = app.config
    with phases.phase("password hash"):
        from idp.accounts.passwords import hash_password

        password_hash = hash_password(args.password, int(config["BCRYPT_ROUNDS"]))
    with phases.phase("clients"):
        clients = make_clients(app, args.clients, sample)
    now = time.time()
    conn = psycopg.connect(libpq_url(args.database_url))
    # A bulk load of rows that can be made again: no need to wait for the WAL flush.
    conn.execute("SET synchronous_commit = off")
    found = secondary_of(conn, LOADED)
    if args.indexes == "rebuild":
        with phases.phase("drop indexes and constraints"):
            drop_secondary(conn, found)

    first_account = next_id(conn, "account")
    with phases.phase("accounts"):
        copy_rows(
            conn,
            "account",
            ACCOUNT_COLUMNS,
            chunked(
                account_rows(
                    rnd, first_account, args.accounts, password_hash, config["TERMS_VERSION"], now
                )
            ),
            args.accounts,
        )
    with phases.phase("password history, terms"):
        stamp = _stamp(now)
        first = next_id(conn, "password_history")
        copy_rows(
            conn,
            "password_history",
            ("id", "account_id", "password_hash", "created_at"),
            chunked(
                (first + n, first_account + n, password_hash, stamp) for n in range(args.accounts)
            ),
            args.accounts,
        )
        if config["TERMS_VERSION"]:
            first = next_id(conn, "terms_acceptance")
            copy_rows(
                conn,
                "terms_acceptance",
                ("id", "account_id", "version", "accepted_at"),
                chunked(
                    (first + n, first_account + n, config["TERMS_VERSION"], stamp)
                    for n in range(args.accounts)
                ),
                args.accounts,
            )
    plan = TokenPlan(
        first_id=next_id(conn, "oauth_token"),
        count=args.tokens,
        accounts=(first_account, args.accounts),
        clients=clients,
        access_lifetime=int(config["ACCESS_TOKEN_LIFETIME"]),
        refresh_lifetime=int(config["REFRESH_TOKEN_LIFETIME"]),
        expired_share=args.expired_share,
        now=int(now),
        samples=1 + args.sample_refresh if args.sample_out else 0,
    )
    with phases.phase("tokens"):
        copy_rows(
            conn, "oauth_token", TOKEN_COLUMNS, chunked(token_rows(rnd, plan, sample)), args.tokens
        )
    if args.sessions:
        with phases.phase("sessions"):
            sids: list[str] = []
            first = next_id(conn, "oauth_browser_session")
            copy_rows(
                conn,
                "oauth_browser_session",
                SESSION_COLUMNS,
                chunked(session_rows(rnd, first, args.sessions, plan.accounts, now, sids)),
                args.sessions,
            )
            first = next_id(conn, "oauth_session_client")
            stamp = _stamp(now)
            copy_rows(
                conn,
                "oauth_session_client",
                ("id", "sid", "client_id", "first_seen"),
                chunked(
                    (first + n, sid, clients[n % len(clients)], stamp) for n, sid in enumerate(sids)
                ),
                len(sids),
            )
    with phases.phase("sequences"):
        set_sequences(conn, LOADED)
    if args.indexes == "rebuild":
        with phases.phase("build indexes and constraints"):
            create_secondary(conn, found, phases)
    with phases.phase("vacuum analyze"):
        # VACUUM too: it sets the hint bits and visibility map a long-lived table has, so
        # that the first bench or purge does not pay for writing them.
        conn.autocommit = True
        for table in LOADED:
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    dead = conn.execute(
        "SELECT count(*) FILTER (WHERE issued_at + expires_in < %(now)s AND "
        "(refresh_expires_at IS NULL OR refresh_expires_at < %(now)s)), count(*) FROM oauth_token",
        {"now": int(time.time())},
    ).fetchone()
    conn.close()

    if args.sample_out:
        picked = rnd.r.sample(range(args.accounts), min(args.sample_accounts, args.accounts))
        sample.emails = [account_email(first_account + n) for n in picked]
        write_sample(args.sample_out, args, sample, int(now))
    print(phases.report())
    print(f"Database size: {size / 2**30:.2f} GiB ({size:,} bytes)")
    print(f"Tokens: {dead[1]:,}, of which {dead[0]:,} expired ({dead[0] / max(dead[1], 1):.1%})")
    if args.sample_out:
        print(f"Sample secrets: {args.sample_out}")
    return 0


def write_sample(path: Path, args: argparse.Namespace, sample: Sample, now: int) -> None:
    data = {
        "database_url": args.database_url,
        "seeded_at": now,
        "password": args.password,
        "clients": sample.clients,
        "access_token": sample.access_token,
        "access_token_account_id": sample.access_account,
        "access_token_expires_at": now + SAMPLE_ACCESS_LIFETIME,
        "refresh_tokens": sample.refresh_tokens,
        "refresh_client_id": sample.clients[0]["client_id"] if sample.clients else "",
        "emails": sample.emails,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
