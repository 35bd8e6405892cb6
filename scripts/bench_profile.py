"""Where the time goes: one endpoint of Compte called N times in process (Flask test
client, PostgreSQL) under cProfile, plus the SQL statements one request sends.

    .venv/bin/python scripts/bench_profile.py userinfo [-n 300] [--top 30]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

import bench_seed
from sqlalchemy import event

DB = "postgresql+psycopg://postgres@127.0.0.1:5432/compte_bench_profile"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument(
        "endpoint",
        choices=(
            "discovery",
            "jwks",
            "token",
            "refresh",
            "userinfo",
            "introspect",
            "login",
            "hello",
        ),
    )
    p.add_argument("-n", type=int, default=300)
    p.add_argument("--top", type=int, default=35)
    p.add_argument("--sort", default="cumulative")
    p.add_argument("--preset", default="cnfpt")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra setting, passed as COMPTE_NAME (TOML value)",
    )
    args = p.parse_args(argv)
    os.environ.update(
        COMPTE_PRESET=args.preset,
        COMPTE_DATABASE_URL=DB,
        COMPTE_SECRET_KEY=secrets.token_urlsafe(32),
        COMPTE_REDIS_URL=args.redis_url,
        COMPTE_RATELIMIT_KEY_PREFIX=f"compte-profile-{os.getpid()}",
        COMPTE_LOGIN_RATE_LIMIT="1000000 per minute",
        COMPTE_LOGIN_CAPTCHA_AFTER="1000000",
        COMPTE_ISSUER="http://localhost",
    )
    for item in args.set:
        name, _, value = item.partition("=")
        os.environ[f"COMPTE_{name}"] = value
    bench_seed.create_database(DB)
    try:
        return run(args)
    finally:
        bench_seed.drop_database(DB)
        from bench_run import forget_counters

        forget_counters(args.redis_url, os.environ["COMPTE_RATELIMIT_KEY_PREFIX"])


def run(args) -> int:
    from idp import create_app
    from idp.core.extensions import db

    if args.endpoint == "hello":
        from bench_hello import app

        data = bench_seed.Seeded("", "", "", [], "")
        lines: list[str] = []
    else:
        app = create_app()
        with tempfile.TemporaryDirectory() as work:
            data = bench_seed.seed(app, Path(work), 8, {"p": 2 * args.n + 20})
            lines = data.refresh_files["p"].read_text().splitlines()
    refresh = iter(lines)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    auth = {**form, "Authorization": data.basic_auth}
    client = app.test_client()
    csrf = None
    if args.endpoint == "login":
        import re

        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        csrf = csrf.group(1)

    def call():
        e = args.endpoint
        if e == "hello":
            return client.get("/")
        if e == "discovery":
            return client.get("/.well-known/openid-configuration")
        if e == "jwks":
            return client.get("/oauth/jwks")
        if e == "token":
            return client.post(
                "/oauth/token", headers=auth, data="grant_type=client_credentials&scope=launcher"
            )
        if e == "refresh":
            return client.post("/oauth/token", headers=auth, data=next(refresh))
        if e == "userinfo":
            return client.get(
                "/oauth/userinfo", headers={"Authorization": f"Bearer {data.access_token}"}
            )
        if e == "introspect":
            return client.post(
                "/oauth/introspect",
                headers=auth,
                data=f"token={data.access_token}&token_type_hint=access_token",
            )
        return client.post(
            "/login",
            headers=form,
            data={
                "identifier": data.emails[0],
                "password": bench_seed.PASSWORD,
                "csrf_token": csrf,
            },
        )

    for _ in range(10):
        first = call()
    print(f"{args.endpoint}: HTTP {first.status_code}")
    statements: list[str] = []
    if args.endpoint != "hello":
        with app.app_context():
            engine = db.engine

        def log_sql(conn, cursor, statement, *rest):
            statements.append(" ".join(statement.split())[:160])

        event.listen(engine, "before_cursor_execute", log_sql)
        call()
        event.remove(engine, "before_cursor_execute", log_sql)
        print(f"SQL statements of one request: {len(statements)}")
        for s in statements:
            print("   ", s)
    walls, cpus = [], []
    batch = max(1, args.n // 5)
    for _ in range(5):  # the best of 5 batches: the machine may be shared
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(batch):
            call()
        walls.append(1000 * (time.perf_counter() - started) / batch)
        cpus.append(1000 * (time.process_time() - cpu) / batch)
    print(
        f"without profiler, best of 5 batches: {min(walls):.2f} ms wall, "
        f"{min(cpus):.2f} ms CPU per request"
    )
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.n):
        call()
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(
        f"{args.n} requests in {elapsed:.2f} s: {1000 * elapsed / args.n:.2f} ms each "
        "(with the profiler's overhead)"
    )
    stats = pstats.Stats(profiler)
    waits = sum(
        calls
        for (file, _, func), (calls, *_rest) in stats.stats.items()
        if func == "wait" and file.endswith("psycopg/connection.py")
    )
    print(f"PostgreSQL round trips per request (psycopg waits): {waits / args.n:.1f}")
    by_package: dict[str, float] = {}
    for (file, _, _func), (_cc, _nc, tottime, *_rest) in stats.stats.items():
        by_package[_package(file)] = by_package.get(_package(file), 0.0) + tottime
    total = sum(by_package.values()) or 1.0
    print("Self time by package (profiled):")
    for name, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:14]:
        print(f"  {100 * seconds / total:5.1f} %  {1000 * seconds / args.n:6.3f} ms/req  {name}")
    if args.top:
        stats.sort_stats(args.sort).print_stats(args.top)
    if args.endpoint != "hello":
        with app.app_context():
            db.engine.dispose()
    return 0


def _package(file: str) -> str:
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/idp/" in file:
        return "idp/" + file.split("/idp/", 1)[1].split("/", 1)[0]
    if file.startswith("~") or file.startswith("<"):
        return "builtins"
    return "stdlib/other"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
