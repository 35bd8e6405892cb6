"""The passkey sign-in of scripts/bench: no password, one signature checked.

A sign-in with a passkey is two requests: `POST /login/passkey/options` (a fresh
challenge, kept in the session cookie) and `POST /login/passkey` (the signed answer:
signature check, session, audit). Each answer signs its own challenge, which serves once,
so answers cannot be made up front without their challenges. The method:

1. Right before the run (a challenge lives 300 s), ask for as many challenges as the run
   may use, each with the same anonymous session: every options answer hands back that
   session's cookie holding its own challenge. Sign each one with the software
   authenticator of tests/support/passkeys.py (ES256, the bench accounts' passkeys).
2. wrk sends the prepared (cookie, signed answer) pairs, each once (a Lua script reads
   them from a file): the worker CPU of this run, divided by the sign-ins completed
   (counted in the audit log), is the CPU of the verification.
3. wrk then drives the options request alone (the same request every time: each answer
   makes a new challenge): its worker CPU per request is the other half.

The CPU of one passkey sign-in is the sum of the two; the signing itself happens in this
script, as it happens in a person's device, and is not counted. The passkeys are synced
ones (backed up, counter always 0, as most phone and password-manager passkeys): answers
sent out of order by parallel connections must not trip the counter check, which still
runs.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.support.passkeys: the software authenticator

from tests.support.passkeys import SoftAuthenticator  # noqa: E402

OPTIONS_PATH = "/login/passkey/options"
VERIFY_PATH = "/login/passkey"


def seed(app, emails: list[str]) -> SoftAuthenticator:
    """One synced passkey per bench account, registered as Compte registers them (the
    rows written through idp.accounts.factors.passkeys)."""
    from webauthn import verify_registration_response

    from idp.accounts.factors import passkeys
    from idp.accounts.services import find_by_email
    from idp.core.extensions import db

    issuer = app.config["ISSUER"]
    authenticator = SoftAuthenticator(issuer.rstrip("/"), backed_up=True, counts=False)
    with app.app_context():
        rp_id = passkeys.rp_id()
        for email in emails:
            account = find_by_email(email)
            challenge = passkeys.encode(b"bench-seed-challenge")
            options = {
                "rp": {"id": rp_id},
                "user": {"id": passkeys.encode(passkeys.user_handle(account))},
                "challenge": challenge,
            }
            verified = verify_registration_response(
                credential=authenticator.create(options),
                expected_challenge=b"bench-seed-challenge",
                expected_rp_id=rp_id,
                expected_origin=passkeys.origin(),
            )
            passkeys.add(
                account,
                credential_id=verified.credential_id,
                public_key=verified.credential_public_key,
                sign_count=0,
                transports=["internal"],
                backed_up=True,
                aaguid=verified.aaguid,
                name="Bench",
            )
        db.session.commit()
        db.session.remove()
    return authenticator


def anonymous_session(base: str) -> tuple[str, str]:
    """(cookie, csrf token) of a fresh anonymous session, from GET /login."""
    import bench_seed

    return bench_seed.login_form(base)


def _json_headers(cookie: str, csrf: str) -> dict[str, str]:
    return {
        "Cookie": cookie,
        "X-CSRFToken": csrf,
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


def prepare(base: str, authenticator: SoftAuthenticator, count: int, path: Path) -> str:
    """Write `count` lines "cookie<TAB>signed answer" to `path`, all of one anonymous
    session (so one CSRF token serves them all); returns that token."""
    cookie, csrf = anonymous_session(base)
    name = cookie.split("=", 1)[0]
    headers = _json_headers(cookie, csrf)
    credentials = list(authenticator.credentials)

    def one(index: int) -> str:
        answer = requests.post(base + OPTIONS_PATH, headers=headers, timeout=30)
        answer.raise_for_status()
        credential = credentials[index % len(credentials)]
        signed = authenticator.get(answer.json()["publicKey"], credential_id=credential)
        return f"{name}={answer.cookies[name]}\t{json.dumps({'credential': signed})}"

    with ThreadPoolExecutor(max_workers=4) as pool:
        lines = list(pool.map(one, range(count)))
    path.write_text("\n".join(lines) + "\n")
    return csrf


def check_once(base: str, authenticator: SoftAuthenticator, work: Path) -> None:
    """One sign-in, to prove the scenario works before measuring it."""
    path = work / "passkey-check.txt"
    csrf = prepare(base, authenticator, 1, path)
    cookie, body = path.read_text().rstrip("\n").split("\t", 1)
    answer = requests.post(
        base + VERIFY_PATH, data=body, headers=_json_headers(cookie, csrf), timeout=30
    )
    if answer.status_code != 200 or "redirect" not in answer.json():
        raise RuntimeError(f"passkey: HTTP {answer.status_code}: {answer.text[:300]}")


def options_request(base: str) -> tuple[str, dict[str, str]]:
    """The options request wrk repeats: (path, headers) of one anonymous session."""
    cookie, csrf = anonymous_session(base)
    return OPTIONS_PATH, _json_headers(cookie, csrf)


def lua_pairs(path: Path, bodies_file: Path, csrf: str) -> Path:
    """POST /login/passkey with the next (cookie, body) pair of `bodies_file` each time."""
    path.write_text(
        f"""
function init(args)
  pairs_ = {{}}
  for line in io.lines("{bodies_file}") do
    local tab = string.find(line, "\\t", 1, true)
    table.insert(pairs_, {{string.sub(line, 1, tab - 1), string.sub(line, tab + 1)}})
  end
  idx = 0
end
function request()
  idx = idx + 1
  local pair = pairs_[((idx - 1) % #pairs_) + 1]
  return wrk.format("POST", "{VERIFY_PATH}", {{
    ["Cookie"] = pair[1],
    ["X-CSRFToken"] = "{csrf}",
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }}, pair[2])
end
"""
    )
    return path


def measure(args, base: str, authenticator: SoftAuthenticator, work: Path, hello, compte, app):
    """Warm-up, the minimal app's adjacent run, the options alone, then the prepared
    sign-ins; the entry of the results (see the module's docstring for the method)."""
    from bench_seed import count_events
    from bench_servers import lua_fixed, run_wrk

    seconds, conns = args.duration, args.connections
    run_wrk(hello.url + "/", args.warmup, conns)
    warm = work / "passkey-warm.txt"
    csrf = prepare(base, authenticator, args.passkey_warmup_signins, warm)
    run_wrk(base + VERIFY_PATH, args.warmup, conns, script=lua_pairs(work / "w.lua", warm, csrf))

    def cpu_ms(before: float, runner, result) -> float:
        spent = runner.cpu_seconds() - before
        return 1000.0 * spent / result.requests if result.requests else 0.0

    entry: dict = {}
    before = hello.cpu_seconds()
    baseline = run_wrk(hello.url + "/", seconds, conns)
    entry["baseline"] = {**baseline.as_dict(), "cpu_ms": cpu_ms(before, hello, baseline)}

    path, headers = options_request(base)
    script = lua_fixed(work / "passkey-options.lua", "POST", path, headers, "{}")
    before = compte.cpu_seconds()
    options = run_wrk(base + path, seconds, conns, script=script)
    entry["options"] = {**options.as_dict(), "cpu_ms": cpu_ms(before, compte, options)}

    measured = work / "passkey.txt"
    csrf = prepare(base, authenticator, args.passkey_signins, measured)
    events = ("login.succeeded", "login.passkey_failed")
    counted = count_events(app, *events)
    before = compte.cpu_seconds()
    result = run_wrk(
        base + VERIFY_PATH, seconds, conns, script=lua_pairs(work / "passkey.lua", measured, csrf)
    )
    spent = compte.cpu_seconds() - before
    after = count_events(app, *events)
    per_request = 1000.0 * spent / result.requests if result.requests else 0.0
    entry["wrk"] = {**result.as_dict(), "cpu_ms": per_request}
    entry["logins_ok"] = after["login.succeeded"] - counted["login.succeeded"]
    entry["logins_failed"] = after["login.passkey_failed"] - counted["login.passkey_failed"]
    entry["logins_per_second"] = entry["logins_ok"] / result.seconds if result.seconds else 0
    entry["prepared"] = args.passkey_signins
    check_ms = 1000.0 * spent / entry["logins_ok"] if entry["logins_ok"] else 0.0
    entry["check_cpu_ms"] = check_ms
    entry["signin_cpu_ms"] = check_ms + entry["options"]["cpu_ms"]
    if result.requests > args.passkey_signins:
        entry["note"] = "more requests than prepared answers: the excess was refused"
    return entry


def _password_login_cpu(res: dict) -> float:
    """Worker CPU of one successful password sign-in (ms), when the login run has one."""
    login = res.get("login")
    if not login or "error" in login or not login.get("logins_ok"):
        return 0.0
    return login["wrk"].get("cpu_ms", 0) * login["wrk"]["requests"] / login["logins_ok"]


def report_rows(res: dict) -> list[list[str]]:
    """The passkey sign-in (scripts/bench_passkey.py): options + check, against the
    issue's goal of less than a tenth of a password sign-in's CPU."""
    from bench_report import _errors, _n, _verdict

    entry = res.get("passkey")
    label = "Passkey sign-in `POST /login/passkey/options` + `POST /login/passkey`"
    if entry is None:
        return []
    if "error" in entry or not entry.get("logins_ok"):
        return [[label, "not measured", "", "", "", entry.get("error", "no sign-in")[:80]]]
    total, options = entry["signin_cpu_ms"], entry["options"]["cpu_ms"]
    password = _password_login_cpu(res)
    share = f"{total / password:.1%} of a password sign-in ({password:.0f} ms)" if password else ""
    failed = f"; {entry['logins_failed']} refused" if entry["logins_failed"] else ""
    return [
        [
            "Passkey options alone `POST /login/passkey/options`",
            f"{_n(entry['options']['ok_rps'])} req/s",
            f"{options:.2f} ms",
            "",
            "",
            "",
        ],
        [
            label,
            f"{_n(entry['logins_per_second'])} sign-ins/s (check only)",
            f"{total:.2f} ms per sign-in ({options:.2f} + {entry['check_cpu_ms']:.2f})",
            share,
            "< 10 % of a password sign-in (issue)",
            (_verdict(total < 0.1 * password) if password else "") + failed + _errors(entry),
        ],
    ]
