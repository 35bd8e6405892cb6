"""Measure the hourly purge on a large database (issue "Speed and scale": the purge works
in batches and never holds a lock for more than 100 ms).

    .venv/bin/python scripts/bench_purge.py --copy-from compte_scale --drop \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/compte_scale_purge

Runs the purges of a serving process (idp/maintenance.run_periodic_tasks, piece by piece)
on the database, which it consumes: --copy-from makes it first as a copy of a database
seeded by scripts/seed_scale.py, --drop drops it at the end. Two measures meanwhile:

* every transaction of the purge, timed from its first statement to the end of its COMMIT:
  a lock taken by a statement is held that long at most. Transactions that only read
  (no DELETE, UPDATE or SELECT … FOR UPDATE) lock nothing a request would wait for and are
  reported apart;
* a probe on another connection that every 10 ms updates a live token (one whose parent
  the purge deletes, so detaches, or any live one), a live session, or inserts a token,
  with a lock_timeout (100 ms: a timeout is a wait longer than the bound on a lock, where
  a slow write with no timeout is the disk), rolls back, and records how long it took:
  what a request waits.

Transactions cancelled at PURGE_LOCK_TIMEOUT (rolled back, the batch retried) are
counted apart.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRITE = re.compile(r"^\s*(DELETE\s+FROM|UPDATE|INSERT\s+INTO)\s+\"?(\w+)", re.IGNORECASE)
FROM = re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE)


def dead(now: int, alias: str = "") -> str:
    """SQL: the token can no longer be used (as idp/oidc/maintenance.py says)."""
    t = f"{alias}." if alias else ""
    return (
        f"({t}issued_at + {t}expires_in < {now} "
        f"AND ({t}refresh_expires_at IS NULL OR {t}refresh_expires_at < {now}))"
    )


def live(now: int, alias: str = "") -> str:
    return f"NOT {dead(now, alias)}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True, help="the database to purge (consumed)")
    p.add_argument("--copy-from", default="", help="create it first as a copy of this one")
    p.add_argument("--drop", action="store_true", help="drop the database at the end")
    p.add_argument("--batch-size", type=int, default=None, help="default: the purge's")
    p.add_argument(
        "--parent-index",
        action="store_true",
        help="create the index on oauth_token.parent_id first, for a database seeded before "
        "migration 9e4b1c7d2a55 (without it PostgreSQL scans the whole table for each "
        "deleted token: ON DELETE SET NULL of the parent key)",
    )
    p.add_argument(
        "--statement-timeout", type=float, default=0, help="seconds; stop a purge that hangs"
    )
    p.add_argument("--only-oidc", action="store_true", help="only idp.oidc.maintenance.run")
    p.add_argument("--probe-interval", type=float, default=0.01, help="seconds between probes")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=0.1,
        help="seconds, for the probe: each timeout is a wait that long on a lock",
    )
    p.add_argument("--baseline", type=float, default=3.0, help="seconds of probing before")
    p.add_argument("--preset", default="cnfpt")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    return p.parse_args(argv)


def libpq_url(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    """Milliseconds: count, median, p99, max."""
    ms = [v * 1000 for v in values]
    return {
        "count": len(ms),
        "p50_ms": round(statistics.median(ms), 2) if ms else 0.0,
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2) if ms else 0.0,
    }


# --- Database ---------------------------------------------------------------------------


def copy_database(url: str, template: str) -> None:
    name = make_url(url).database
    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


def drop_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def table_counts(url: str) -> dict[str, int]:
    now = int(time.time())
    with psycopg.connect(libpq_url(url)) as conn:
        tokens, expired = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {dead(now)}) FROM oauth_token"  # noqa: S608
        ).fetchone()
        sessions = conn.execute("SELECT count(*) FROM oauth_browser_session").fetchone()[0]
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return {"tokens": tokens, "expired_tokens": expired, "sessions": sessions, "bytes": size}


# --- The purge's transactions ---------------------------------------------------------------


@dataclass
class Transaction:
    at: float  # seconds since the recorder was made
    seconds: float
    writes: bool
    table: str
    steps: list[tuple[str, float]]  # (first word of each statement, or COMMIT; seconds)
    rolled_back: bool = False  # a batch cancelled at PURGE_LOCK_TIMEOUT, retried


@dataclass
class Recorder:
    """Times every transaction of the purge's session (one connection at a time), and each
    of its statements and its COMMIT."""

    transactions: list[Transaction] = field(default_factory=list)
    origin: float = field(default_factory=time.perf_counter)
    started: float | None = None
    statement_started: float = 0.0
    last_end: float = 0.0
    writes: bool = False
    table: str = ""
    steps: list[tuple[str, float]] = field(default_factory=list)

    def before_statement(self, conn, cursor, statement: str, *args: Any) -> None:
        now = time.perf_counter()
        if self.started is None:
            self.started, self.writes, self.table, self.steps = now, False, "", []
        self.statement_started = now
        written = WRITE.match(statement)
        if written:
            self.writes, self.table = True, self.table or written.group(2)
        elif "FOR UPDATE" in statement.upper():
            self.writes = True
            if not self.table:
                found = FROM.search(statement)
                self.table = found.group(1) if found else ""

    def after_statement(self, conn, cursor, statement: str, *args: Any) -> None:
        self.last_end = time.perf_counter()
        verb = statement.split(None, 1)[0].upper() if statement.strip() else "?"
        if verb == "SELECT" and "FOR UPDATE" in statement.upper():
            verb = "SELECT FOR UPDATE"
        self.steps.append((verb, self.last_end - self.statement_started))

    def ended(self, *args: Any, rolled_back: bool = False) -> None:
        if self.started is not None:
            end = time.perf_counter()
            last = "ROLLBACK" if rolled_back else "COMMIT"
            steps = [*self.steps, (last, end - max(self.last_end, self.started))]
            self.transactions.append(
                Transaction(
                    self.started - self.origin,
                    end - self.started,
                    self.writes,
                    self.table,
                    steps,
                    rolled_back,
                )
            )
        self.started = None

    def rolled_back(self, *args: Any) -> None:
        self.ended(rolled_back=True)


# --- The probe -------------------------------------------------------------------------


@dataclass
class Probe:
    """Another client's writes next to the purge: each rolled back, each timed."""

    url: str
    interval: float
    lock_timeout: float
    targets: dict[str, list[int]] = field(default_factory=dict)
    client_id: str = ""
    account_id: int = 0
    samples: list[tuple[str, float, float, bool]] = field(default_factory=list)  # op, at, s, ok
    stop: threading.Event = field(default_factory=threading.Event)

    def prepare(self) -> None:
        now = int(time.time())
        with psycopg.connect(libpq_url(self.url)) as conn:
            # Live children of tokens the purge deletes: it updates them (parent_id).
            self.targets["token_child"] = [
                row[0]
                for row in conn.execute(
                    "SELECT c.id FROM oauth_token c JOIN oauth_token p ON p.id = c.parent_id "  # noqa: S608
                    f"WHERE {live(now, 'c')} AND {dead(now, 'p')} LIMIT 500"
                )
            ]
            self.targets["token_live"] = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM oauth_token TABLESAMPLE SYSTEM (0.5) "  # noqa: S608
                    f"WHERE {live(now)} LIMIT 500"
                )
            ]
            self.targets["session_live"] = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM oauth_browser_session TABLESAMPLE SYSTEM (1) "
                    "WHERE ended_at IS NULL "
                    "AND last_seen_at > now() AT TIME ZONE 'utc' - interval '1 hour' "
                    "LIMIT 500"
                )
            ]
            self.client_id, self.account_id = conn.execute(
                "SELECT client_id, account_id FROM oauth_token WHERE account_id IS NOT NULL LIMIT 1"
            ).fetchone()

    def run(self) -> None:
        ops = [op for op in ("token_child", "token_live", "session_live") if self.targets.get(op)]
        ops.append("token_insert")
        with psycopg.connect(libpq_url(self.url)) as conn:
            n = 0
            while not self.stop.is_set():
                op = ops[n % len(ops)]
                n += 1
                at = time.perf_counter()
                ok = True
                try:
                    conn.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout * 1000)}ms'")
                    at = time.perf_counter()
                    self._write(conn, op)
                except psycopg.errors.LockNotAvailable:
                    ok = False
                took = time.perf_counter() - at
                conn.rollback()
                self.samples.append((op, at, took, ok))
                self.stop.wait(max(self.interval - took, 0))

    def _write(self, conn: psycopg.Connection, op: str) -> None:
        if op == "token_insert":
            value = secrets.token_urlsafe(32)
            now = int(time.time())
            conn.execute(
                "INSERT INTO oauth_token (client_id, account_id, token_type, access_token_hash, "
                "refresh_token_hash, family_id, scope, issued_at, expires_in, refresh_expires_at) "
                "VALUES (%s, %s, 'Bearer', %s, %s, %s, 'openid', %s, 600, %s)",
                (
                    self.client_id,
                    self.account_id,
                    sha256(value.encode()).hexdigest(),
                    sha256((value + "r").encode()).hexdigest(),
                    str(random.random()),
                    now,
                    now + 86400,
                ),
            )
        elif op == "session_live":
            conn.execute(
                "UPDATE oauth_browser_session SET last_seen_at = now() AT TIME ZONE 'utc' "
                "WHERE id = %s",
                (random.choice(self.targets[op]),),
            )
        else:
            conn.execute(
                "UPDATE oauth_token SET revoked_at = revoked_at WHERE id = %s",
                (random.choice(self.targets[op]),),
            )


# --- The run -----------------------------------------------------------------------------


def build_app(url: str, preset: str, statement_timeout: float) -> Any:
    from idp import create_app

    options: dict[str, Any] = {}
    if statement_timeout:
        timeout = f"-c statement_timeout={int(statement_timeout * 1000)}"
        options = {"connect_args": {"options": timeout}}
    return create_app(
        {
            "PRESET": preset,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": url,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "MAIL_WORKER": False,
            "MAINTENANCE_INTERVAL": 0,
        },
        instance_path=tempfile.mkdtemp(prefix="compte-bench-purge-"),
    )


def purge(app: Any, args: argparse.Namespace, recorder: Recorder) -> tuple[dict, dict]:
    """The purges of idp.maintenance.run_periodic_tasks, one by one, timed."""
    from idp.accounts import maintenance as accounts_maintenance
    from idp.audit import services as audit_services
    from idp.core.extensions import db
    from idp.mail import outbox
    from idp.oidc import maintenance as oidc_maintenance

    counts: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", recorder.before_statement)
        event.listen(db.engine, "after_cursor_execute", recorder.after_statement)
        event.listen(db.session, "after_commit", recorder.ended)
        event.listen(db.session, "after_rollback", recorder.rolled_back)
        steps = [("oidc", lambda: oidc_maintenance.run(args.batch_size))]
        if not args.only_oidc:
            steps = [
                ("accounts", accounts_maintenance.run),
                *steps,
                ("audit", audit_services.prune),
                ("mail", outbox.purge),
            ]
        for name, step in steps:
            start = time.perf_counter()
            counts[name] = step()
            db.session.commit()
            seconds[name] = round(time.perf_counter() - start, 2)
        db.session.remove()
    return counts, seconds


def run(args: argparse.Namespace) -> int:
    url = args.database_url
    if args.copy_from:
        start = time.perf_counter()
        copy_database(url, args.copy_from)
        print(f"Copied {args.copy_from}: {time.perf_counter() - start:.1f} s", flush=True)
    try:
        if args.parent_index:
            start = time.perf_counter()
            with psycopg.connect(libpq_url(url), autocommit=True) as conn:
                conn.execute("SET maintenance_work_mem = '1GB'")
                conn.execute(
                    "CREATE INDEX IF NOT EXISTS ix_oauth_token_parent_id ON oauth_token (parent_id)"
                )
                conn.execute("ANALYZE oauth_token")
            print(f"Index on oauth_token.parent_id: {time.perf_counter() - start:.1f} s")
        before = table_counts(url)
        print(f"Before: {before}", flush=True)
        app = build_app(url, args.preset, args.statement_timeout)
        probe = Probe(url, args.probe_interval, args.lock_timeout)
        probe.prepare()
        print(f"Probe targets: { {k: len(v) for k, v in probe.targets.items()} }", flush=True)
        thread = threading.Thread(target=probe.run, daemon=True)
        thread.start()
        time.sleep(args.baseline)
        recorder = Recorder()
        purge_start = recorder.origin
        try:
            counts, seconds = purge(app, args, recorder)
        finally:
            purge_end = time.perf_counter()
            time.sleep(min(args.baseline, 1.0))
            probe.stop.set()
            thread.join()
        after = table_counts(url)
        report = figures(args, before, after, counts, seconds, recorder, probe)
        report["purge_seconds"] = round(purge_end - purge_start, 2)
        report["probe"] = probe_figures(probe, purge_start, purge_end)
        print(json.dumps(report, indent=1))
        print_summary(report)
        if args.json:
            args.json.write_text(json.dumps(report, indent=1) + "\n")
    finally:
        if args.drop:
            drop_database(url)
            print(f"Dropped {make_url(url).database}")
    return 0


def print_summary(report: dict[str, Any]) -> None:
    writes, probe = report["write_transactions"], report["probe"]["during"]
    print(
        f"\nBatch size {report['batch_size']}: purge {report['purge_seconds']} s, removed "
        f"{report['removed']}\n"
        f"Write transactions: {writes['count']}, p50 {writes['p50_ms']} ms, p99 "
        f"{writes['p99_ms']} ms, max {writes['max_ms']} ms, over 100 ms: "
        f"{report['write_transactions_over_100ms']}, cancelled at "
        f"PURGE_LOCK_TIMEOUT and retried: {report['write_transactions_rolled_back']}\n"
        f"Probe writes meanwhile: {probe['count']}, p50 {probe['p50_ms']} ms, p99 "
        f"{probe['p99_ms']} ms, max {probe['max_ms']} ms, over 100 ms: "
        f"{report['probe']['during_over_100ms']}, lock timeouts: "
        f"{report['probe']['during_timeouts']}"
    )


def probe_figures(probe: Probe, start: float, end: float) -> dict[str, Any]:
    """What the probe's writes took before the purge and while it ran."""
    during = [s for s in probe.samples if start <= s[1] <= end]
    baseline = [s for s in probe.samples if s[1] < start]
    found: dict[str, Any] = {
        "baseline": summary([s[2] for s in baseline]),
        "during": summary([s[2] for s in during]),
        "during_timeouts": sum(1 for s in during if not s[3]),
        "during_over_100ms": sum(1 for s in during if s[2] > 0.1),
    }
    for op in sorted({s[0] for s in during}):
        found[op] = summary([s[2] for s in during if s[0] == op])
    return found


def figures(
    args: argparse.Namespace,
    before: dict,
    after: dict,
    counts: dict,
    seconds: dict,
    recorder: Recorder,
    probe: Probe,
) -> dict[str, Any]:
    writes = [t for t in recorder.transactions if t.writes]
    reads = [t for t in recorder.transactions if not t.writes]
    by_table: dict[str, list[float]] = {}
    for t in writes:
        by_table.setdefault(t.table, []).append(t.seconds)
    return {
        "batch_size": args.batch_size or "PURGE_BATCH_SIZE",
        "parent_index": args.parent_index,
        "before": before,
        "after": after,
        "removed": counts,
        "seconds": seconds,
        "write_transactions": summary([t.seconds for t in writes]),
        "write_transactions_over_100ms": sum(1 for t in writes if t.seconds > 0.1),
        "write_transactions_rolled_back": sum(1 for t in writes if t.rolled_back),
        "write_transactions_by_table": {k: summary(v) for k, v in sorted(by_table.items())},
        "read_only_transactions": summary([t.seconds for t in reads]),
        # Where the time of the slowest went: statements and COMMIT, in milliseconds.
        "slowest_write_transactions": [
            {
                "at_s": round(t.at, 1),
                "ms": round(t.seconds * 1000, 1),
                "table": t.table,
                "steps": [(verb, round(seconds * 1000, 1)) for verb, seconds in t.steps],
            }
            for t in sorted(writes, key=lambda t: -t.seconds)[:15]
        ],
        "write_steps_ms": {
            verb: summary([s for t in writes for v, s in t.steps if v == verb])
            for verb in sorted({v for t in writes for v, _ in t.steps})
        },
    }


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
