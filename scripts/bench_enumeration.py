"""Does the time of an answer tell whether an account exists? (issue "Trust first", 3)

Starts Compte under gunicorn (shipped configuration, one worker, one thread) on a fresh
PostgreSQL database (or SQLite with --sqlite), with one account, then times, interleaved
in random order, the answers that could reveal an account:
  - sign-in with a wrong password: known e-mail vs unknown e-mail;
  - "mot de passe oublié": known e-mail vs unknown e-mail;
  - "renvoyer le courriel de confirmation": pending registration vs unknown e-mail;
  - registration: an address that has an account vs a new one (captcha solved with the
    shared secret, as any instance would).
For each pair it prints the medians, the difference of medians with a bootstrap 95 %
confidence interval, and a Mann-Whitney test: "same within noise" when the interval holds
0 or the difference is under 1 % of the median.

    .venv/bin/python scripts/bench_enumeration.py              # 300 requests per case
    .venv/bin/python scripts/bench_enumeration.py --requests 100 --sqlite
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from html import unescape
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))
from scripts.bench_servers import free_port  # noqa: E402

PASSWORD = "Formation#2026"  # noqa: S105 - the benchmark's own account
KNOWN = "connu@example.fr"
PENDING = "en-attente@example.fr"
UNKNOWN = "inconnu@example.fr"
SECRET = "bench-enumeration-secret"  # noqa: S105 - a throw-away test instance


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token in the page")
    return unescape(found.group(1))


def _timed_post(http: requests.Session, base: str, path: str, data) -> float:
    page = http.get(base + path, timeout=30).text
    data = {**(data(page) if callable(data) else data), "csrf_token": _csrf(page)}
    start = time.perf_counter()
    response = http.post(base + path, data=data, allow_redirects=False, timeout=30)
    elapsed = time.perf_counter() - start
    if response.status_code >= 500:
        raise RuntimeError(f"{path}: {response.status_code}")
    return elapsed


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, ties averaged)."""
    ranked = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(ranked)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    rank_a = sum(r for r, (_, group) in zip(ranks, ranked, strict=True) if group == 0)
    n1, n2 = len(a), len(b)
    u = rank_a - n1 * (n1 + 1) / 2
    mean, sd = n1 * n2 / 2, math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)
    z = abs(u - mean) / sd
    return math.erfc(z / math.sqrt(2))


def bootstrap_ci(a: list[float], b: list[float], rounds: int = 2000) -> tuple[float, float]:
    """95 % interval of median(a) - median(b)."""
    rng = random.Random(7)
    diffs = sorted(
        statistics.median(rng.choices(a, k=len(a))) - statistics.median(rng.choices(b, k=len(b)))
        for _ in range(rounds)
    )
    return diffs[int(0.025 * rounds)], diffs[int(0.975 * rounds)]


def report(name: str, known: list[float], unknown: list[float]) -> str:
    mk, mu = statistics.median(known) * 1000, statistics.median(unknown) * 1000
    low, high = (x * 1000 for x in bootstrap_ci(known, unknown))
    p = mann_whitney_p(known, unknown)
    same = low <= 0 <= high or abs(mk - mu) < 0.01 * max(mk, mu)
    verdict = "same within noise" if same else "DIFFERENT"
    return (
        f"| {name} | {mk:.1f} | {mu:.1f} | {mk - mu:+.2f} [{low:+.2f}, {high:+.2f}] "
        f"| {p:.2f} | {verdict} |"
    )


def _captcha_solver(env: dict):
    """The characters of a captcha, derived from its id and the shared secret."""
    from idp import create_app
    from idp.captcha.services import challenge_text

    app = create_app(
        {"PRESET": "cnfpt", "SECRET_KEY": SECRET, "DATABASE_URL": env["COMPTE_DATABASE_URL"]},
        instance_path=tempfile.mkdtemp(),
    )

    def solve(challenge_id: str) -> str:
        with app.app_context():
            return challenge_text(challenge_id)

    return solve


def _registration(solve, email: str):
    """The registration form of `email` (a new address gets a fresh one each time)."""
    if email == UNKNOWN:
        email = f"nouveau-{uuid.uuid4().hex[:10]}@example.fr"

    def fill(page: str) -> dict:
        challenge = re.search(r'name="captcha_id"[^>]*value="([^"]+)"', page).group(1)
        return {
            "civility": "m", "given_name": "Ivan", "family_name": "Pierre",
            "birthdate": "1985-05-01", "email": email, "email_confirm": email,
            "password": PASSWORD, "password_confirm": PASSWORD, "accept_terms": "y",
            "captcha_id": challenge, "captcha_answer": solve(challenge),
        }  # fmt: skip

    return fill


@contextlib.contextmanager
def database(use_sqlite: bool, folder: Path):
    if use_sqlite:
        yield f"sqlite:///{folder / 'compte.db'}"
        return
    name = f"bench_enum_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="per case (default 300)")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--rounds", type=int, default=10, help="bcrypt cost (default 10)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, database(args.sqlite, Path(tmp)) as url:
        folder = Path(tmp)
        port = free_port()
        sink_port = free_port()
        env = {
            **os.environ,
            "COMPTE_PRESET": "cnfpt",
            "COMPTE_DATABASE_URL": url,
            "COMPTE_SECRET_KEY": SECRET,
            "COMPTE_ISSUER": f"http://127.0.0.1:{port}",
            "COMPTE_BCRYPT_ROUNDS": str(args.rounds),
            "COMPTE_MAIL_PORT": str(sink_port),
            "COMPTE_RATELIMIT_ENABLED": "false",
            "COMPTE_LOGIN_CAPTCHA_AFTER": "100000000",
            "COMPTE_MAINTENANCE_INTERVAL": "0",
            "COMPTE_BIND": f"127.0.0.1:{port}",
            "COMPTE_WORKERS": "1",
            "COMPTE_THREADS": "1",
        }
        run = {"env": env, "cwd": folder, "check": True, "capture_output": True}
        subprocess.run([BIN / "compte", "db", "upgrade"], **run)
        subprocess.run(
            [BIN / "compte", "users", "add", "--email", KNOWN, "--password", PASSWORD,
             "--given-name", "Agent", "--family-name", "Connu", "--confirmed"],
            **run,
        )  # fmt: skip
        subprocess.run(
            [BIN / "compte", "users", "add", "--email", PENDING, "--password", PASSWORD,
             "--given-name", "Agent", "--family-name", "EnAttente"],
            **run,
        )  # fmt: skip
        solver = _captcha_solver(env)
        # The mail sink in a process of its own: nothing else runs beside the timer.
        sink = subprocess.Popen(
            [BIN / "compte", "mailsink", "--port", str(sink_port), "--directory", folder / "mail"],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = subprocess.Popen(
            [BIN / "gunicorn", "-c", ROOT / "config" / "gunicorn.conf.py", "idp:create_app()"],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                with contextlib.suppress(requests.RequestException):
                    if requests.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                time.sleep(0.1)
            http = requests.Session()
            cases = {
                "sign-in, wrong password": (
                    "/login",
                    lambda email: {"identifier": email, "password": "Mauvais-mot-2026"},
                ),
                "forgotten password": ("/password/forgot", lambda email: {"email": email}),
                "confirmation re-sent": ("/register/resend", lambda email: {"email": email}),
                "registration": ("/register", lambda email: _registration(solver, email)),
            }
            engine = "SQLite" if args.sqlite else "PostgreSQL"
            print(f"{args.requests} requests per case, bcrypt cost {args.rounds}, {engine}, "
                  "gunicorn 1 worker × 1 thread")  # fmt: skip
            print("| answer | known (ms, median) | unknown (ms, median) "
                  "| difference [95 % CI] (ms) | Mann-Whitney p | verdict |")  # fmt: skip
            print("|---|---|---|---|---|---|")
            for name, (path, data) in cases.items():
                known = PENDING if path == "/register/resend" else KNOWN
                for email in (known, UNKNOWN):  # warm-up
                    _timed_post(http, base, path, data(email))
                times: dict[str, list[float]] = {known: [], UNKNOWN: []}
                order = [known, UNKNOWN] * args.requests
                random.Random(1).shuffle(order)
                for email in order:
                    times[email].append(_timed_post(http, base, path, data(email)))
                print(report(name, times[known], times[UNKNOWN]))
        finally:
            for process in (server, sink):
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
