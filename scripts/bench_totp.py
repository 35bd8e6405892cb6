"""The password + authenticator-code sign-in of scripts/bench (the sign-in's two steps).

A sign-in with a second factor is the login page (`GET /login`), the password
(`POST /login`: bcrypt, then the pending sign-in) and the code (`POST /login/verify`: the
code checked against the sealed secret, the time step claimed, the session opened). A code
serves once per account and 30-second step, so the run cannot repeat one request as wrk
does: each of `--totp-signins` accounts (an authenticator app each) signs in once, the
requests sent by a pool of `--connections` threads, and the workers' CPU is read before
and after each of the three phases (per successful request). The codes are computed right
before the last phase, as a phone shows them.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests
from bench_seed import PASSWORD  # the bench accounts' password

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def seed(app, count: int) -> list[tuple[str, str]]:
    """`count` more accounts (bench_seed.more_accounts), each with a confirmed
    authenticator app; (e-mail, secret) of each."""
    import pyotp
    from bench_seed import more_accounts

    from idp.accounts.factors.models import TotpFactor
    from idp.core.clock import utcnow
    from idp.core.extensions import db
    from idp.core.sealing import seal

    found = []
    accounts = more_accounts(app, "totp", count)
    with app.app_context():
        for email, account_id in accounts:
            secret = pyotp.random_base32()
            db.session.add(
                TotpFactor(account_id=account_id, secret_sealed=seal(secret), confirmed_at=utcnow())
            )
            found.append((email, secret))
        db.session.commit()
        db.session.remove()
    return found


def _pool(count: int, job, threads: int) -> list:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(job, range(count)))


def measure(args, base: str, accounts: list[tuple[str, str]], compte, app) -> dict:
    """The three phases, each measured alone; the entry of the results."""
    import pyotp
    from bench_seed import count_events

    threads = args.login_connections
    browsers = [requests.Session() for _ in accounts]
    for browser in browsers:
        # A new connection per request: between two phases the server closes idle
        # keep-alive connections, and a POST sent on a closed one would be lost.
        browser.headers["Connection"] = "close"

    def page(i: int) -> str:
        answer = browsers[i].get(f"{base}/login", timeout=60)
        answer.raise_for_status()
        return CSRF.search(answer.text).group(1)

    def password(i: int) -> bool:
        answer = browsers[i].post(
            f"{base}/login",
            data={"csrf_token": tokens[i], "identifier": accounts[i][0], "password": PASSWORD},
            allow_redirects=False,
            timeout=60,
        )
        return answer.status_code == 302 and answer.headers["Location"] == "/login/verify"

    def code(i: int) -> bool:
        answer = browsers[i].post(
            f"{base}/login/verify?method=totp",
            data={"csrf_token": tokens[i], "method": "totp", "code": codes[i]},
            allow_redirects=False,
            timeout=60,
        )
        return answer.status_code == 302 and answer.headers["Location"] == "/"

    entry: dict = {"accounts": len(accounts)}
    before = compte.cpu_seconds()
    tokens = _pool(len(accounts), page, threads)
    entry["page_cpu_ms"] = 1000.0 * (compte.cpu_seconds() - before) / len(accounts)

    before = compte.cpu_seconds()
    passed = _pool(len(accounts), password, threads)
    entry["password_cpu_ms"] = 1000.0 * (compte.cpu_seconds() - before) / max(1, sum(passed))

    counted = count_events(app, "login.succeeded", "login.second_factor_failed")
    codes = [pyotp.TOTP(secret).now() for _email, secret in accounts]
    before = compte.cpu_seconds()
    signed = _pool(len(accounts), code, threads)
    spent = compte.cpu_seconds() - before
    after = count_events(app, "login.succeeded", "login.second_factor_failed")
    entry["logins_ok"] = after["login.succeeded"] - counted["login.succeeded"]
    entry["codes_refused"] = (
        after["login.second_factor_failed"] - counted["login.second_factor_failed"]
    )
    entry["code_cpu_ms"] = 1000.0 * spent / max(1, sum(signed))
    entry["signin_cpu_ms"] = entry["password_cpu_ms"] + entry["code_cpu_ms"]
    if not all(passed) or not all(signed):
        entry["note"] = (
            f"{len(passed) - sum(passed)} passwords, {len(signed) - sum(signed)} codes failed"
        )
    return entry


def report_rows(res: dict) -> list[list[str]]:
    """Password + authenticator code, next to the password sign-in of the same run."""
    from bench_passkey import _password_login_cpu

    entry = res.get("totp")
    label = "Password + authenticator code `POST /login` + `POST /login/verify`"
    if entry is None:
        return []
    if "error" in entry or not entry.get("logins_ok"):
        return [[label, "not measured", "", "", "", entry.get("error", "no sign-in")[:80]]]
    password = _password_login_cpu(res)
    share = f"{entry['signin_cpu_ms'] / password:.0%} of a password sign-in" if password else ""
    refused = f"; {entry['codes_refused']} codes refused" if entry["codes_refused"] else ""
    return [
        [
            label,
            f"{entry['logins_ok']} sign-ins",
            f"{entry['signin_cpu_ms']:.1f} ms per sign-in ({entry['password_cpu_ms']:.1f} + "
            f"{entry['code_cpu_ms']:.2f})",
            share,
            "",
            (entry.get("note") or "") + refused,
        ]
    ]
