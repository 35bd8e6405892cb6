"""scripts/bench: measure Compte on PostgreSQL against its targets.

Runs from the repository root (scripts/bench calls it with the .venv's Python). Starts a
minimal Flask app under granian and Compte under `compte run` (the shipped server: granian
too) with the same workers and threads, or both under gunicorn (`--server gunicorn`),
seeds a database of its own, drives each endpoint with wrk for a fixed time, measures
bcrypt alone, reads the workers' memory from /proc, stops every server it started (by
pid), drops the database, prints a table and writes it into docs/benchmarks.md.

The machine may be shared: every Compte figure is measured right after a run of the
minimal app, and ratios use that adjacent baseline.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import bench_passkey
import bench_reference
import bench_report
import bench_seed
import bench_servers
import bench_spy
import bench_totp
import requests
from bench_bcrypt import checks_per_second
from bench_servers import CompteRun, Granian, Gunicorn, free_port, lua_fixed, lua_rotating, run_wrk

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_APP = "idp:create_app()"
ENDPOINTS = (
    "discovery",
    "jwks",
    "token",
    "refresh",
    "userinfo",
    "introspect",
    "login",
    "passkey",
    "totp",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    p.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per endpoint")
    p.add_argument("--login-duration", type=float, default=20, help="seconds for login")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread")
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    p.add_argument("--preload", action="store_true", help="gunicorn --preload (shared pages)")
    p.add_argument(
        "--server",
        choices=("granian", "gunicorn"),
        default="granian",
        help="granian: Compte under `compte run` (the shipped server), the minimal app under "
        "granian with the same workers and threads; gunicorn: both under gunicorn",
    )
    p.add_argument("--connections", type=int, default=16, help="wrk connections")
    p.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    p.add_argument(
        "--reference",
        choices=("oidc-provider", "none"),
        default="oidc-provider",
        help="also drive panva's oidc-provider (npm, one Node process, in memory) the same way",
    )
    p.add_argument("--login-connections", type=int, default=4)
    p.add_argument("--login-accounts", type=int, default=64)
    p.add_argument("--refresh-tokens", type=int, default=40000, help="prepared for one run")
    p.add_argument(
        "--passkey-signins", type=int, default=6000, help="signed answers prepared for one run"
    )
    p.add_argument("--passkey-warmup-signins", type=int, default=1500)
    p.add_argument(
        "--totp-signins", type=int, default=400, help="accounts signing in with a code, once each"
    )
    p.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/compte_bench"
    )
    p.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/15",
        help="rate-limit and throttle storage, as in production ('' = in process)",
    )
    p.add_argument("--preset", default="cnfpt", help="cnfpt and cpf use bcrypt cost 12")
    p.add_argument("--bcrypt-rounds", type=int, default=None, help="override the preset's")
    p.add_argument("--only", default=",".join(ENDPOINTS), help="comma-separated endpoints")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Compte setting, passed as COMPTE_NAME (a TOML value); repeatable",
    )
    p.add_argument(
        "--app",
        default=DEFAULT_APP,
        help="WSGI app served as Compte (default 'idp:create_app()'); a variant to compare",
    )
    p.add_argument("--profile", default="", help="endpoints to sample with py-spy meanwhile")
    p.add_argument("--keep-db", action="store_true", help="do not drop the database")
    p.add_argument(
        "--existing",
        action="store_true",
        help="add the bench's rows to the database given (e.g. one seeded by "
        "scripts/seed_scale.py) instead of creating one; it is kept",
    )
    p.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    return p.parse_args(argv)


def compte_env(args: argparse.Namespace, port: int) -> dict[str, str]:
    # A host name, not 127.0.0.1: WebAuthn (the passkey run) refuses an IP address as
    # relying party. The servers still listen on 127.0.0.1, which wrk calls.
    issuer = f"http://localhost:{port}"
    env = bench_servers.compte_env(issuer, args.database_url, args.redis_url, "compte-bench")
    env.update(
        COMPTE_PRESET=args.preset,
        # All the load comes from 127.0.0.1: lift the per-address limits (the counters
        # are still incremented and reset on every login, as in production).
        COMPTE_LOGIN_RATE_LIMIT="1000000 per minute",
        COMPTE_LOGIN_CAPTCHA_AFTER="1000000",
    )
    for item in args.set:
        name, _, value = item.partition("=")
        env[f"COMPTE_{name}"] = value
    if args.bcrypt_rounds:
        env["COMPTE_BCRYPT_ROUNDS"] = str(args.bcrypt_rounds)
    return env


def _get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=30, **kwargs)


def _post(url: str, **kwargs) -> requests.Response:
    return requests.post(url, timeout=30, **kwargs)


def check(name: str, response: requests.Response, expected: int) -> None:
    if response.status_code != expected:
        raise RuntimeError(
            f"{name}: HTTP {response.status_code} (expected {expected}): {response.text[:300]}"
        )


def prepare_scripts(args, work: Path, compte: Gunicorn, data: bench_seed.Seeded) -> dict:
    """Per endpoint: (URL, wrk Lua script or None), after one request proving it works."""
    base = compte.url
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    auth = {**form, "Authorization": data.basic_auth}
    bearer = {"Authorization": f"Bearer {data.access_token}"}
    plans: dict = {}

    def plan(name: str, make) -> None:
        try:
            plans[name] = make()
        except Exception as error:  # reported in the table, the rest still runs
            plans[name] = error
            print(f"  {name}: NOT MEASURED: {error}", file=sys.stderr)

    def discovery():
        check("discovery", _get(f"{base}/.well-known/openid-configuration"), 200)
        return f"{base}/.well-known/openid-configuration", None

    def jwks():
        check("jwks", _get(f"{base}/oauth/jwks"), 200)
        return f"{base}/oauth/jwks", None

    def token():
        body = "grant_type=client_credentials&scope=launcher"
        check("token", _post(f"{base}/oauth/token", data=body, headers=auth), 200)
        return f"{base}/oauth/token", lua_fixed(
            work / "token.lua", "POST", "/oauth/token", auth, body
        )

    def refresh():
        warm = data.refresh_files["warmup"].read_text().splitlines()
        check("refresh", _post(f"{base}/oauth/token", data=warm[-1], headers=auth), 200)
        threads = args.wrk_threads
        script = lua_rotating(
            work / "refresh.lua", "/oauth/token", auth, data.refresh_files["measure"], threads
        )
        warm_script = lua_rotating(
            work / "refresh-warm.lua", "/oauth/token", auth, data.refresh_files["warmup"], threads
        )
        return f"{base}/oauth/token", script, warm_script

    def userinfo():
        check("userinfo", _get(f"{base}/oauth/userinfo", headers=bearer), 200)
        return f"{base}/oauth/userinfo", lua_fixed(
            work / "userinfo.lua", "GET", "/oauth/userinfo", bearer
        )

    def introspect():
        body = f"token={data.access_token}&token_type_hint=access_token"
        answer = _post(f"{base}/oauth/introspect", data=body, headers=auth)
        check("introspect", answer, 200)
        if not answer.json().get("active"):
            raise RuntimeError(f"introspect: token not active: {answer.text[:200]}")
        return f"{base}/oauth/introspect", lua_fixed(
            work / "introspect.lua", "POST", "/oauth/introspect", auth, body
        )

    def login():
        cookie, csrf_token = bench_seed.login_form(base)
        headers = {**form, "Cookie": cookie}
        lines = [
            urlencode(
                {"identifier": email, "password": bench_seed.PASSWORD, "csrf_token": csrf_token}
            )
            for email in data.emails
        ]
        bodies = work / "login.txt"
        bodies.write_text("\n".join(lines) + "\n")
        answer = _post(f"{base}/login", data=lines[0], headers=headers, allow_redirects=False)
        check("login", answer, 302)
        return f"{base}/login", lua_rotating(work / "login.lua", "/login", headers, bodies, 1)

    def passkey():
        bench_passkey.check_once(base, data.passkeys, work)
        # Prepared right before its run (bench_passkey.measure): a challenge lives 300 s.
        return "late", None

    def totp():
        # Every account signs in once, in bench_totp.measure: nothing to prepare here.
        return "late", None

    makers = dict(
        discovery=discovery,
        jwks=jwks,
        token=token,
        refresh=refresh,
        userinfo=userinfo,
        introspect=introspect,
        login=login,
        passkey=passkey,
        totp=totp,
    )
    for name in args.only.split(","):
        plan(name, makers[name])
    return plans


REFERENCE_ENDPOINTS = ("discovery", "jwks", "token", "refresh", "userinfo", "introspect")


def reference_scripts(args, work: Path, ref: bench_reference.OidcProviderReference) -> dict:
    """The same requests for oidc-provider: per endpoint (URL, script, warm-up script)."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    pair = f"{ref.client_id}:{ref.client_secret}".encode()
    auth = {**form, "Authorization": "Basic " + base64.b64encode(pair).decode()}
    bearer = {"Authorization": f"Bearer {ref.access_token}"}
    half = len(ref.refresh_tokens) // 4
    bodies = {"warmup": ref.refresh_tokens[:half], "measure": ref.refresh_tokens[half:]}
    files = {}
    for part, values in bodies.items():
        files[part] = work / f"ref-refresh-{part}.txt"
        files[part].write_text(
            "".join(f"grant_type=refresh_token&refresh_token={v}\n" for v in values)
        )
    token_path, intro_path = ref.paths["token"], ref.paths["introspection"]
    cc_body = "grant_type=client_credentials"
    intro_body = f"token={ref.access_token}&token_type_hint=access_token"
    check("reference token", _post(ref.url("token"), data=cc_body, headers=auth), 200)
    check("reference userinfo", _get(ref.url("userinfo"), headers=bearer), 200)
    answer = _post(ref.url("introspection"), data=intro_body, headers=auth)
    if not answer.json().get("active"):
        raise RuntimeError(f"oidc-provider introspection: not active: {answer.text[:200]}")
    threads = args.wrk_threads
    plans = {
        "discovery": (ref.url("discovery"), None),
        "jwks": (ref.url("jwks"), None),
        "token": (
            ref.url("token"),
            lua_fixed(work / "ref-token.lua", "POST", token_path, auth, cc_body),
        ),
        "refresh": (
            ref.url("token"),
            lua_rotating(work / "ref-refresh.lua", token_path, auth, files["measure"], threads),
            lua_rotating(work / "ref-refresh-w.lua", token_path, auth, files["warmup"], threads),
        ),
        "userinfo": (
            ref.url("userinfo"),
            lua_fixed(work / "ref-userinfo.lua", "GET", ref.paths["userinfo"], bearer),
        ),
        "introspect": (
            ref.url("introspection"),
            lua_fixed(work / "ref-introspect.lua", "POST", intro_path, auth, intro_body),
        ),
    }
    return plans


def _cpu_ms(seconds: float, wrk: dict) -> float:
    """Worker CPU time per request, in ms (less sensitive to a busy machine than req/s)."""
    return 1000.0 * seconds / wrk["requests"] if wrk["requests"] else 0.0


def measure(
    args, plans: dict, hello: Gunicorn, compte: Gunicorn, app, data, work, reference=None
) -> dict:
    results: dict = {}
    for name, planned in plans.items():
        if isinstance(planned, Exception):
            results[name] = {"error": str(planned)}
            continue
        if name == "totp":
            print(f"  {name}: {len(data.totp)} sign-ins, password then code …", flush=True)
            try:
                results[name] = bench_totp.measure(args, compte.url, data.totp, compte, app)
            except Exception as error:  # reported in the table, the rest still runs
                results[name] = {"error": str(error)}
            continue
        if name == "passkey":
            print(f"  {name}: warm-up, baseline, options, then the prepared sign-ins …", flush=True)
            try:
                results[name] = bench_passkey.measure(
                    args, compte.url, data.passkeys, work, hello, compte, app
                )
            except Exception as error:  # reported in the table, the rest still runs
                results[name] = {"error": str(error)}
            continue
        url, script, *warm = planned
        login = name == "login"
        seconds = args.login_duration if login else args.duration
        conns = args.login_connections if login else args.connections
        threads = 1 if login else args.wrk_threads
        print(f"  {name}: warm-up, baseline {seconds:g} s, then {seconds:g} s …", flush=True)
        run_wrk(hello.url + "/", args.warmup, conns, threads)
        run_wrk(url, args.warmup, conns, threads, script=(warm[0] if warm else script))
        entry: dict = {}
        if reference is not None and name in reference:
            ref_url, ref_script, *ref_warm = reference[name]
            run_wrk(ref_url, args.warmup, conns, threads, ref_warm[0] if ref_warm else ref_script)
            entry["reference"] = run_wrk(ref_url, seconds, conns, threads, ref_script).as_dict()
        if login:
            # bcrypt alone, right before the login run, with as many processes as workers.
            entry["bcrypt_1"] = checks_per_second(app.config["BCRYPT_ROUNDS"], 1, seconds / 2)
            entry["bcrypt_n"] = checks_per_second(
                app.config["BCRYPT_ROUNDS"], args.workers, seconds
            )
            before = bench_seed.count_events(app, "login.succeeded", "login.failed")
        else:
            cpu = hello.cpu_seconds()
            entry["baseline"] = run_wrk(hello.url + "/", seconds, conns, threads).as_dict()
            entry["baseline"]["cpu_ms"] = _cpu_ms(hello.cpu_seconds() - cpu, entry["baseline"])
        cpu = compte.cpu_seconds()
        spy = None
        if name in args.profile.split(","):
            spy_out = compte.log.parent / f"py-spy-{name}.txt"
            spy = bench_spy.start(compte.proc.pid, seconds, spy_out)
        result = run_wrk(url, seconds, conns, threads, script=script)
        if spy is not None:
            spy.wait(timeout=60)
            entry["profile"] = bench_spy.summary(spy_out)
            print(entry["profile"])
        entry["wrk"] = result.as_dict()
        entry["wrk"]["cpu_ms"] = _cpu_ms(compte.cpu_seconds() - cpu, entry["wrk"])
        if login:
            after = bench_seed.count_events(app, "login.succeeded", "login.failed")
            entry["logins_ok"] = after["login.succeeded"] - before["login.succeeded"]
            entry["logins_failed"] = after["login.failed"] - before["login.failed"]
            entry["logins_per_second"] = entry["logins_ok"] / result.seconds
        if name == "refresh" and result.requests > args.refresh_tokens:
            entry["note"] = "more requests than prepared tokens: the excess was refused"
        results[name] = entry
    return results


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="compte-bench-"))
    port = free_port()
    env = compte_env(args, port)
    os.environ.update({k: v for k, v in env.items() if k.startswith("COMPTE_")})
    common = dict(
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        preload=args.preload,
    )
    server = Granian if args.server == "granian" else Gunicorn
    if args.server == "granian":
        common.pop("preload")
        env["PYTHONPATH"] = str(ROOT)  # granian's working directory is scripts/
    hello = server(
        "hello", "bench_hello:app", free_port(), env=env, log=work / "hello.log", **common
    )
    if args.server == "granian" and args.app == DEFAULT_APP:
        server = CompteRun
    compte = server("compte", args.app, port, env=env, log=work / "compte.log", **common)
    reference = None
    reference_version = None
    print(f"Database {args.database_url} (created), work files in {work}")
    if not args.existing:
        bench_seed.create_database(args.database_url)
    app = None
    try:
        from idp import create_app

        app = create_app()
        data = bench_seed.seed(
            app,
            work,
            args.login_accounts,
            {"warmup": 6000, "measure": args.refresh_tokens},
        )
        if "passkey" in args.only.split(","):
            passkey_accounts = bench_seed.more_accounts(app, "passkey", args.login_accounts)
            data.passkeys = bench_passkey.seed(app, [email for email, _id in passkey_accounts])
        if "totp" in args.only.split(","):
            data.totp = bench_totp.seed(app, args.totp_signins)
        hello.start()
        compte.start()
        wanted = [n for n in args.only.split(",") if n in REFERENCE_ENDPOINTS]
        if args.reference == "oidc-provider" and wanted:
            bench_reference.ensure_installed(ROOT)
            reference = bench_reference.OidcProviderReference(
                free_port(), refresh_tokens=args.refresh_tokens + 8000
            )
            reference.start()
            print(
                f"oidc-provider {reference.version} on {reference.base_url} (pid {reference.pid})"
            )
        print(
            f"hello on {hello.url} (workers {hello.worker_pids()}), "
            f"Compte on {compte.url} (workers {compte.worker_pids()})"
        )
        plans = prepare_scripts(args, work, compte, data)
        ref_plans = reference_scripts(args, work, reference) if reference else None
        results = measure(args, plans, hello, compte, app, data, work, ref_plans)
        memory = {"hello": hello.memory(), "compte": compte.memory()}
        if reference is not None:
            memory["reference"] = reference.memory()
            reference_version = reference.version
    finally:
        hello.stop()
        compte.stop()
        if reference is not None:
            reference.stop()
        if not (args.keep_db or args.existing):
            bench_seed.drop_database(args.database_url, app)
        forget_counters(args.redis_url, env["COMPTE_RATELIMIT_KEY_PREFIX"])
    run = {
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "command": "scripts/bench " + " ".join(argv),
        "settings": {
            **vars(args),
            "json": str(args.json) if args.json else None,
            "bcrypt_rounds": app.config["BCRYPT_ROUNDS"],
            "server": compte.shown(),
            "reference": f"oidc-provider {reference_version}" if reference_version else None,
        },
        "machine": bench_report.machine(load_before),
        "results": results,
        "memory": memory,
    }
    table = bench_report.table(run)
    print()
    print(table)
    if args.json:
        args.json.write_text(json.dumps(run, indent=2, default=str))
    if not args.no_doc:
        bench_report.write_doc(ROOT / "docs" / "benchmarks.md", run, table)
        print("\nWritten into docs/benchmarks.md")
    if args.profile or any("error" in entry for entry in results.values()):
        print(f"Server logs and work files kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def forget_counters(redis_url: str, prefix: str) -> None:
    """Delete the rate-limit and throttle counters this run left in Redis."""
    if not redis_url:
        return
    import redis

    try:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
    except redis.RedisError as error:
        print(f"(could not clean Redis: {error})", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
