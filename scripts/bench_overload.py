"""Compte under twice its capacity: no server error, no lost or duplicated token, every
issued token recorded, the refresh reuse rule holding under parallel replays.

    .venv/bin/python scripts/bench_overload.py [--duration 60] [--factor 2]

Starts Compte as scripts/bench does (`compte run`, or gunicorn with --server gunicorn; its
own PostgreSQL database, Redis), then:

1. capacity: 10 s of the mixed load below with wrk (16 connections, closed loop): C req/s;
2. overload: `--duration` seconds offered at `--factor` × C by 64 paced connections
   (each connection sends a request every 64 / (factor × C) s, or as soon as its previous
   answer arrives when the server is late: the load is bounded, the backlog is at most 64
   requests); meanwhile, every 0.25 s, one fresh refresh token is sent 6 times at once
   from Python threads (parallel replays);
3. checks, from the answers and from the database: no 5xx but 503 with Retry-After;
   as many `token.issued` audit events as token rows created during the run; at least
   one row per token answered (none lost) and at most one more per connection (the
   requests still in flight when wrk stops); no refresh token rotated twice, and never
   two different new tokens for one replayed token.

The mixed load: 40 % refresh_token (each token sent once), 20 % client_credentials,
20 % userinfo, 20 % introspection. Loopback only; every process it starts is stopped by pid.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import bench_seed
import requests
from bench_servers import CompteRun, Gunicorn, compte_env, free_port, run_wrk

ROOT = Path(__file__).resolve().parent.parent
PATTERN = ["refresh", "cc", "refresh", "userinfo", "introspect"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_overload.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--factor", type=float, default=2.0, help="offered load / capacity")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--server", choices=("granian", "gunicorn"), default="granian")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--connections", type=int, default=64, help="wrk connections when overloaded")
    p.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/compte_overload"
    )
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    return p.parse_args(argv)


def mixed_script(path: Path, data: bench_seed.Seeded, tokens: Path, delay_ms: float) -> Path:
    """wrk Lua: the mixed load, each refresh token once, statuses counted per thread
    (read back in done()), and `delay_ms` between two requests of a connection."""
    auth = data.basic_auth
    path.write_text(
        f"""
local threads = {{}}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  bodies = {{}}
  local i = 0
  for line in io.lines("{tokens}") do
    if i % {2} == id then table.insert(bodies, line) end
    i = i + 1
  end
  idx, step = 0, 0
  s2, s4, s5, s503, retry503, other, tokens = 0, 0, 0, 0, 0, 0, 0
  pattern = {{{", ".join(f'"{p}"' for p in PATTERN)}}}
  form = {{["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = "{auth}"}}
  bearer = {{["Authorization"] = "Bearer {data.access_token}"}}
end
function delay()
  return {delay_ms:.3f}
end
function request()
  step = step + 1
  local kind = pattern[((step - 1) % #pattern) + 1]
  if kind == "refresh" then
    idx = idx + 1
    return wrk.format("POST", "/oauth/token", form, bodies[((idx - 1) % #bodies) + 1])
  elseif kind == "cc" then
    return wrk.format("POST", "/oauth/token", form, "grant_type=client_credentials")
  elseif kind == "userinfo" then
    return wrk.format("GET", "/oauth/userinfo", bearer)
  end
  return wrk.format("POST", "/oauth/introspect", form,
    "token={data.access_token}&token_type_hint=access_token")
end
function response(status, headers, body)
  if status == 503 then
    s503 = s503 + 1
    if headers["Retry-After"] or headers["retry-after"] then retry503 = retry503 + 1 end
  elseif status >= 500 then s5 = s5 + 1
  elseif status >= 400 then s4 = s4 + 1
  elseif status >= 200 and status < 300 then
    s2 = s2 + 1
    if string.find(body, '"access_token"', 1, true) then tokens = tokens + 1 end
  else other = other + 1 end
end
function done(summary, latency, requests)
  local t = {{s2 = 0, s4 = 0, s5 = 0, s503 = 0, retry503 = 0, other = 0, tokens = 0,
    refresh = 0}}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(t) do
      if name ~= "refresh" then t[name] = t[name] + thread:get(name) end
    end
    t.refresh = t.refresh + thread:get("idx")
  end
  io.write(string.format(
    "STATUSES 2xx=%d 4xx=%d 5xx=%d 503=%d 503_with_retry_after=%d other=%d "
    .. "tokens_issued=%d refresh_sent=%d\\n",
    t.s2, t.s4, t.s5, t.s503, t.retry503, t.other, t.tokens, t.refresh))
end
"""
    )
    return path


def replays(base: str, data: bench_seed.Seeded, tokens: list[str], stop: threading.Event):
    """Every 0.25 s, one unused refresh token sent 6 times at once; returns, per token,
    the (status, new refresh token) of each answer."""
    seen: dict[str, list[tuple[int, str | None]]] = {}
    headers = {"Authorization": data.basic_auth}

    def send(token: str, out: list) -> None:
        try:
            answer = requests.post(
                f"{base}/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": token},
                headers=headers,
                timeout=30,
            )
            body = (
                answer.json()
                if answer.headers.get("Content-Type", "").startswith("application/json")
                else {}
            )
            out.append((answer.status_code, body.get("refresh_token")))
        except requests.RequestException as error:
            out.append((0, type(error).__name__))

    for token in tokens:
        if stop.is_set():
            break
        out: list = []
        senders = [threading.Thread(target=send, args=(token, out)) for _ in range(6)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=60)
        seen[token] = out
        stop.wait(0.25)
    return seen


def _database_counts(app, since: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from idp.audit.models import AuditEvent
    from idp.core.extensions import db
    from idp.oidc.models import Token

    with app.app_context():
        rows = db.session.scalar(select(func.count()).where(Token.issued_at >= since))
        duplicated = db.session.scalar(
            select(func.count()).select_from(
                select(Token.parent_id)
                .where(Token.parent_id.is_not(None), Token.issued_at >= since)
                .group_by(Token.parent_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        events = db.session.scalar(
            select(func.count()).where(
                AuditEvent.type == "token.issued",
                AuditEvent.created_at >= _utc(since),
            )
        )
        db.session.remove()
    return {"token_rows": rows, "parents_rotated_twice": duplicated, "issued_events": events}


def _utc(timestamp: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def _statuses(output: str) -> dict[str, int]:
    for line in output.splitlines():
        if line.startswith("STATUSES "):
            return {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}
    return {}


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="compte-overload-"))
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = compte_env(issuer, args.database_url, args.redis_url, "compte-overload")
    env["COMPTE_PRESET"] = "cnfpt"
    os.environ.update({k: v for k, v in env.items() if k.startswith("COMPTE_")})
    server = CompteRun if args.server == "granian" else Gunicorn
    compte = server(
        "compte",
        "idp:create_app()",
        port,
        workers=args.workers,
        worker_class="gthread",
        threads=args.threads,
        env=env,
        log=work / "compte.log",
    )
    bench_seed.create_database(args.database_url)
    app = None
    try:
        from idp import create_app

        app = create_app()
        wanted = int(args.duration * 1500)  # more refreshes than this machine serves
        print(f"Seeding {wanted:,} refresh tokens in {args.database_url} …", flush=True)
        data = bench_seed.seed(
            app, work, 16, {"capacity": 25000, "overload": wanted, "replay": 1000}
        )
        compte.start()
        base = compte.url
        assert requests.get(f"{base}/readyz", timeout=10).status_code == 200
        capacity_script = mixed_script(
            work / "capacity.lua", data, data.refresh_files["capacity"], 0
        )
        print("Capacity: 10 s closed loop, 16 connections …", flush=True)
        capacity = run_wrk(base + "/", 10, 16, 2, capacity_script)
        rate = capacity.requests / capacity.seconds
        target = args.factor * rate
        delay_ms = 1000.0 * args.connections / target
        print(f"  {rate:,.0f} req/s; offering {target:,.0f} req/s ({delay_ms:.1f} ms pacing)")
        overload_script = mixed_script(
            work / "overload.lua", data, data.refresh_files["overload"], delay_ms
        )
        replay_tokens = [
            line.split("refresh_token=")[1]
            for line in data.refresh_files["replay"].read_text().splitlines()
        ]
        stop = threading.Event()
        replayed: dict = {}
        replayer = threading.Thread(
            target=lambda: replayed.update(replays(base, data, replay_tokens, stop))
        )
        time.sleep(1.5)  # the capacity run's tokens belong to an earlier second
        since = int(time.time())
        print(f"Overload: {args.duration:g} s …", flush=True)
        replayer.start()
        overload = run_wrk(base + "/", args.duration, args.connections, 2, overload_script)
        stop.set()
        replayer.join(timeout=120)
        time.sleep(1)  # the last answers' commits
        statuses = _statuses(overload.output)
        counts = _database_counts(app, since)
        memory = compte.memory()
    finally:
        compte.stop()
        bench_seed.drop_database(args.database_url, app)

    replay_codes = Counter(code for answers in replayed.values() for code, _ in answers)
    twice = [
        token
        for token, answers in replayed.items()
        if len({new for code, new in answers if code == 200}) > 1
    ]
    rotations = sum(1 for answers in replayed.values() if any(c == 200 for c, _ in answers))
    result = {
        "capacity_rps": round(rate),
        "offered_rps": round(target),
        "served_rps": round(overload.requests / overload.seconds),
        "latency_avg_ms": overload.latency_avg_ms,
        "latency_p99_ms": overload.latency_p99_ms,
        "socket_errors": overload.errors,
        "statuses": statuses,
        "replayed_tokens": len(replayed),
        "replay_statuses": dict(replay_codes),
        "replayed_tokens_with_two_new_tokens": len(twice),
        "replayed_tokens_rotated": rotations,
        "database": counts,
        "rss_mb": [round(w["rss_kb"] / 1024) for w in memory],
    }
    print(json.dumps(result, indent=2))
    problems = []
    if statuses.get("5xx", 0):
        problems.append("server errors (5xx other than 503)")
    if statuses.get("503", 0) != statuses.get("503_with_retry_after", 0):
        problems.append("a 503 without Retry-After")
    if counts["parents_rotated_twice"] or twice:
        problems.append("a refresh token rotated twice")
    if counts["token_rows"] != counts["issued_events"]:
        problems.append("token rows and token.issued events differ")
    # Every token answered was committed first, so rows >= answers (none lost); when wrk
    # stops, each connection may still have one request in flight: answered after wrk
    # stopped counting, recorded all the same.
    answered = statuses.get("tokens_issued", 0) + rotations
    if counts["token_rows"] < answered:
        problems.append(f"tokens answered but not recorded: {answered - counts['token_rows']}")
    if counts["token_rows"] - answered > args.connections:
        problems.append("more token rows than answers and requests in flight")
    print("PROBLEMS: " + "; ".join(problems) if problems else "No problem found.")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
