"""The memory of each Compte worker after every kind of request, against a limit.

Creates a PostgreSQL database of its own, seeds a client, accounts (with a passkey, with an
authenticator app) and tokens (scripts/bench_seed.py, bench_passkey.py, bench_totp.py),
starts Compte under `compte run` (granian; or gunicorn: `--server gunicorn`), 2 workers × 4 threads,
sends a few hundred requests of each kind phase after phase, and prints the RSS, PSS and
USS of each worker (/proc) after each phase. Then the floor: the same server, workers and
threads serving scripts/bench_floor_app.py (the libraries Compte is built on, nothing of
Compte) after the same number of requests. Stops the servers it started (by pid) and drops
the database. Exit status 1 when a worker ends a phase above `--limit` MB of RSS, 2 when
requests failed.

    .venv/bin/python scripts/bench_memory.py [--server gunicorn] [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench_passkey
import bench_seed
import bench_servers
import bench_totp
import requests
from bench_servers import CompteRun, Granian, Gunicorn, free_port

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    "/",
    "/account",
    "/account/emails",
    "/account/security",
    "/account/security/totp",
    "/account/security/email",
    "/account/security/recovery",
    "/account/sessions",
    "/account/password",
    "/account/data",
    "/account/data/export",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", choices=("granian", "gunicorn"), default="granian")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4, help="blocking threads (gthread threads)")
    p.add_argument("--requests", type=int, default=300, help="requests of each kind")
    p.add_argument("--connections", type=int, default=8, help="requests sent in parallel")
    p.add_argument("--limit", type=float, default=100.0, help="MB of RSS per worker")
    p.add_argument("--bcrypt-rounds", type=int, default=8, help="memory does not depend on it")
    p.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/compte_memory"
    )
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    p.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="for the server"
    )
    return p.parse_args(argv)


def in_parallel(count: int, job: Callable[[int], bool], threads: int) -> str:
    """Run `job(0…count-1)` on `threads` threads; "ok/count"."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        done = list(pool.map(job, range(count)))
    return f"{sum(done)}/{count}"


def protocol(base: str, data: bench_seed.Seeded, n: int, threads: int) -> str:
    """Discovery, JWKS, client_credentials, refresh_token, userinfo, introspection."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    auth = {**form, "Authorization": data.basic_auth}
    bearer = {"Authorization": f"Bearer {data.access_token}"}
    refresh = data.refresh_files["memory"].read_text().splitlines()
    introspect = f"token={data.access_token}&token_type_hint=access_token"
    calls = [
        ("GET", "/.well-known/openid-configuration", {}, None),
        ("GET", "/oauth/jwks", {}, None),
        ("POST", "/oauth/token", auth, "grant_type=client_credentials&scope=launcher"),
        ("POST", "/oauth/token", auth, refresh),
        ("GET", "/oauth/userinfo", bearer, None),
        ("POST", "/oauth/introspect", auth, introspect),
    ]

    def one(i: int) -> bool:
        method, path, headers, body = calls[i % len(calls)]
        if isinstance(body, list):
            body = body[i // len(calls)]
        answer = requests.request(method, base + path, headers=headers, data=body, timeout=30)
        return answer.status_code == 200

    return in_parallel(n * len(calls), one, threads)


def password_signins(base: str, emails: list[str], n: int, threads: int) -> tuple[str, list]:
    """GET /login then POST /login, `n` times; the signed-in browsers too."""
    browsers = [requests.Session() for _ in range(n)]

    def one(i: int) -> bool:
        page = browsers[i].get(f"{base}/login", timeout=30)
        csrf = bench_totp.CSRF.search(page.text).group(1)
        body = {"identifier": emails[i % len(emails)], "password": bench_seed.PASSWORD}
        answer = browsers[i].post(
            f"{base}/login", data={**body, "csrf_token": csrf}, allow_redirects=False, timeout=60
        )
        return answer.status_code == 302 and not answer.headers["Location"].startswith("/login")

    return in_parallel(n, one, threads), browsers


def passkey_signins(base: str, authenticator: object, n: int, threads: int, work: Path) -> str:
    """`n` passkey sign-ins: challenges asked and signed first (bench_passkey.prepare)."""
    path = work / "passkeys.txt"
    csrf = bench_passkey.prepare(base, authenticator, n, path)
    lines = path.read_text().splitlines()

    def one(i: int) -> bool:
        cookie, body = lines[i].split("\t", 1)
        headers = bench_passkey._json_headers(cookie, csrf)
        answer = requests.post(
            base + bench_passkey.VERIFY_PATH, data=body, headers=headers, timeout=30
        )
        return answer.status_code == 200 and "redirect" in answer.json()

    return in_parallel(n, one, threads)


def totp_signins(base: str, accounts: list, threads: int, compte: Gunicorn, app) -> str:
    """Password + authenticator code, once per account (bench_totp.measure)."""
    entry = bench_totp.measure(
        argparse.Namespace(login_connections=threads), base, accounts, compte, app
    )
    return f"{entry['logins_ok']}/{len(accounts)}"


def pages(base: str, browsers: list, n: int, threads: int) -> str:
    """The account's pages, from the browsers signed in by password."""

    def one(i: int) -> bool:
        path = PAGES[i % len(PAGES)]
        answer = browsers[i % len(browsers)].get(base + path, timeout=30)
        if answer.status_code != 200:
            print(f"    {path}: HTTP {answer.status_code}", file=sys.stderr)
        return answer.status_code == 200

    return in_parallel(n * len(PAGES), one, threads)


def shown_memory(m: dict) -> str:
    """ "RSS (anonymous + file-backed) / PSS / USS" in MB, from bench_servers' kB."""
    rss, anon, files, pss, uss = (
        m[k] / 1024 for k in ("rss_kb", "anon_kb", "file_kb", "pss_kb", "uss_kb")
    )
    return f"{rss:5.1f} ({anon:5.1f} + {files:4.1f}) / {pss:5.1f} / {uss:5.1f}"


def print_table(phases: list[tuple[str, str, list[dict]]]) -> None:
    """Phase, requests answered as expected, then RSS / PSS / USS (MiB) of each worker."""
    head = [
        "phase",
        "ok/sent",
        *[f"worker {i + 1} RSS (anon + file) / PSS / USS MB" for i in range(9)],
    ]
    lines = [[name, done, *[shown_memory(m) for m in memory]] for name, done, memory in phases]
    head = head[: max(len(line) for line in lines)]
    widths = [
        max(len(line[c]) for line in [head, *lines] if c < len(line)) for c in range(len(head))
    ]
    for line in [head, *lines]:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)))


def floor(args: argparse.Namespace, work: Path, prefix: str) -> tuple[str, list[dict]]:
    """The memory of each worker of scripts/bench_floor_app.py under the same server, after
    as many requests as the protocol phase sent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTE_")}
    key = f"{prefix}-floor"
    env.update(
        FLOOR_DATABASE_URL=args.database_url,
        FLOOR_REDIS_URL=args.redis_url,
        FLOOR_REDIS_KEY=key,
        PYTHONPATH=str(ROOT / "scripts"),
    )
    server = Granian if args.server == "granian" else Gunicorn
    app = server(
        "floor", "bench_floor_app:app", free_port(), args.workers, "gthread", args.threads,
        env, work / "floor.log",
    )  # fmt: skip
    app.start()
    try:
        settle(app)

        def one(_i: int) -> bool:
            return requests.get(app.url + "/", timeout=30).status_code == 200

        done = in_parallel(args.requests * 6, one, args.connections)
        print(f"  floor: {done}", flush=True)
        return done, app.memory()
    finally:
        app.stop()
        forget_counters(args.redis_url, key)


def settle(server: Gunicorn, timeout: float = 30.0) -> None:
    """Wait until every worker has loaded the app: no worker's RSS moves for a second."""
    deadline, before = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        now = [m["rss_kb"] for m in server.memory()]
        if before == now:
            return
        before = now
        time.sleep(1)


def forget_counters(redis_url: str, prefix: str) -> None:
    """Delete the rate-limit and throttle counters this run left in Redis."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def main(argv: list[str]) -> int:
    """Seed, serve, load phase after phase, print the table; the exit status."""
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="compte-memory-"))
    port = free_port()
    env = bench_servers.compte_env(
        f"http://localhost:{port}", args.database_url, args.redis_url, "compte-memory"
    )
    env.update(
        COMPTE_BCRYPT_ROUNDS=str(args.bcrypt_rounds),
        COMPTE_LOGIN_RATE_LIMIT="1000000 per minute",
        COMPTE_LOGIN_CAPTCHA_AFTER="1000000",
        PYTHONPATH=str(ROOT),  # granian's working directory is scripts/
    )
    env.update(item.split("=", 1) for item in args.env)
    os.environ.update({k: v for k, v in env.items() if k.startswith("COMPTE_")})
    server = CompteRun if args.server == "granian" else Gunicorn  # the shipped server
    log = work / "compte.log"
    compte = server(
        "compte", "idp:create_app()", port, args.workers, "gthread", args.threads, env, log
    )
    n, threads, app, phases = args.requests, args.connections, None, []

    def phase(name: str, done: str) -> None:
        phases.append((name, done, compte.memory()))
        print(f"  {name}: {done}", flush=True)

    bench_seed.create_database(args.database_url)
    try:
        from idp import create_app

        app = create_app()
        data = bench_seed.seed(app, work, 8, {"memory": n})
        passkey_accounts = bench_seed.more_accounts(app, "passkey", 8)
        authenticator = bench_passkey.seed(app, [email for email, _id in passkey_accounts])
        totp_accounts = bench_totp.seed(app, n)
        compte.start()
        base = compte.url
        print(f"{args.server} on {base}, workers {compte.worker_pids()}, log {log}")
        settle(compte)
        phase("start", "")
        phase("protocol", protocol(base, data, n, threads))
        done, browsers = password_signins(base, data.emails, n, threads)
        phase("password sign-in", done)
        phase("passkey sign-in", passkey_signins(base, authenticator, n, threads, work))
        phase("password + TOTP", totp_signins(base, totp_accounts, threads, compte, app))
        phase("account pages", pages(base, browsers[:8], max(1, n // 4), threads))
        compte.stop()
        under = ("floor (no Compte)", *floor(args, work, env["COMPTE_RATELIMIT_KEY_PREFIX"]))
    finally:
        compte.stop()
        bench_seed.drop_database(args.database_url, app)
        forget_counters(args.redis_url, env["COMPTE_RATELIMIT_KEY_PREFIX"])
    print_table([*phases, under])
    highest = max(m["rss_kb"] for _p, _d, memory in phases for m in memory) / 1024
    failed = [
        name
        for name, done, _m in [*phases, under]
        if done and done.split("/")[0] != done.split("/")[1]
    ]
    print(f"highest RSS {highest:.1f} MB, limit {args.limit:.0f} MB", end="")
    print(f"; requests failed in: {', '.join(failed)}" if failed else "")
    if failed:
        return 2
    return 1 if highest > args.limit else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
