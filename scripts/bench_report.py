"""The results of scripts/bench as a Markdown table, checked against DESIGN.md's targets,
and written between markers into docs/benchmarks.md."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
from pathlib import Path

import bench_passkey
import bench_totp

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"
REFERENCE_HELLO = 3900  # DESIGN.md: a minimal Flask app on these machines
LABELS = {
    "discovery": "Discovery `GET /.well-known/openid-configuration`",
    "jwks": "JWKS `GET /oauth/jwks`",
    "token": "Token `POST /oauth/token` (client_credentials)",
    "refresh": "Token `POST /oauth/token` (refresh_token, rotating)",
    "userinfo": "Userinfo `GET /oauth/userinfo` (Bearer)",
    "introspect": "Introspection `POST /oauth/introspect`",
}


def machine(load_before: tuple[float, float, float]) -> dict:
    cpu = ""
    try:
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = match.group(1).strip() if match else ""
    except OSError:
        pass
    mem_kb = 0
    with contextlib.suppress(OSError, AttributeError):
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    wrk = subprocess.run(["/usr/bin/wrk", "-v"], capture_output=True, text=True)
    return {
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1048576, 1),
        "python": platform.python_version(),
        "wrk": " ".join((wrk.stdout or wrk.stderr).split()[:2]),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def rows(run: dict) -> list[list[str]]:
    res = run["results"]
    out: list[list[str]] = []
    baselines = [e["baseline"]["rps"] for e in res.values() if "baseline" in e]
    if baselines:
        cpus = [e["baseline"].get("cpu_ms", 0) for e in res.values() if "baseline" in e]
        out.append(
            [
                "Minimal Flask app (baseline, mean of the adjacent runs)",
                f"{_n(sum(baselines) / len(baselines))} req/s",
                f"{sum(cpus) / len(cpus):.2f} ms",
                f"reference machine: {REFERENCE_HELLO:,}",
                "",
                "",
            ]
        )
    hello_cpu = _mean([e["baseline"].get("cpu_ms", 0) for e in res.values() if "baseline" in e])
    for name in ("discovery", "jwks", "token", "refresh", "userinfo", "introspect"):
        entry = res.get(name)
        if entry is None:
            continue
        if "error" in entry:
            out.append([LABELS[name], "not measured", "", "", "", entry["error"][:80]])
            continue
        out.append(_protocol_row(name, entry, hello_cpu))
    login = res.get("login")
    if login and "error" not in login and not login.get("logins_ok"):
        login = {"error": "no login completed during the run: raise --login-duration"}
    if login and "error" in login:
        out.append(
            ["Password login `POST /login`", "not measured", "", "", "", login["error"][:80]]
        )
    elif login:
        one, many = login["bcrypt_1"], login["bcrypt_n"]
        out.append(
            [
                f"bcrypt alone, cost {one['rounds']}, 1 process",
                f"{one['per_second']:.1f} checks/s ({one['ms_per_check']:.0f} ms each)",
                f"{one.get('cpu_ms_per_check', 0):.0f} ms",
                "",
                "",
                "",
            ]
        )
        out.append(
            [
                f"bcrypt alone, cost {many['rounds']}, {many['processes']} processes",
                f"{many['per_second']:.1f} checks/s",
                "",
                "",
                "",
                "",
            ]
        )
        ratio = login["logins_per_second"] / many["per_second"] if many["per_second"] else 0
        failed = f"; {login['logins_failed']} failed" if login["logins_failed"] else ""
        login_cpu = login["wrk"].get("cpu_ms", 0) * login["wrk"]["requests"]
        login_cpu = login_cpu / login["logins_ok"] if login["logins_ok"] else 0
        bcrypt_cpu = one.get("cpu_ms_per_check", 0)
        by_cpu = f"; by CPU: bcrypt is {bcrypt_cpu / login_cpu:.0%} of a login" if login_cpu else ""
        out.append(
            [
                "Full password login `POST /login` (302 + session)",
                f"{login['logins_per_second']:.1f} logins/s",
                _cpu(login),
                f"{ratio:.0%} of bcrypt alone{by_cpu}",
                "≥ 90 % of bcrypt alone",
                _verdict(ratio >= 0.9)
                + (
                    f" (by CPU: {'met' if bcrypt_cpu >= 0.9 * login_cpu else 'missed'})"
                    if login_cpu and bcrypt_cpu
                    else ""
                )
                + failed
                + _errors(login),
            ]
        )
    out += bench_passkey.report_rows(res)
    out += bench_totp.report_rows(res)
    workers = run["memory"].get("compte") or []
    if workers:
        rss = max(w["rss_kb"] for w in workers) / 1024
        pss = max(w["pss_kb"] for w in workers) / 1024
        hello = run["memory"].get("hello") or []
        hello_rss = max((w["rss_kb"] for w in hello), default=0) / 1024
        out.append(
            [
                "Memory per Compte worker after the load (max RSS; PSS)",
                f"{rss:.0f} MB; {pss:.0f} MB",
                "",
                f"minimal Flask worker: {hello_rss:.0f} MB",
                "≤ 100 MB",
                _verdict(rss <= 100),
            ]
        )
    return out


# Issue 12: the share of panva's oidc-provider (one Node process, in memory) to reach.
REFERENCE_TARGETS = {"discovery": 1.0, "jwks": 1.0}
REFERENCE_TARGET = 0.5


def _protocol_row(name: str, entry: dict, hello_cpu: float) -> list[str]:
    """Requests/s, CPU per request, and the ratio to oidc-provider (or, without it, to
    the minimal Flask app run just before)."""
    rps, base = entry["wrk"]["ok_rps"], entry["baseline"]["rps"]
    cpu = entry["wrk"].get("cpu_ms", 0)
    by_cpu = f"; by CPU {hello_cpu / cpu:.0%} of minimal Flask" if cpu and hello_cpu else ""
    compared = f"{rps / base:.0%} of minimal Flask ({_n(base)}){by_cpu}" if base else ""
    target = REFERENCE_TARGETS.get(name, REFERENCE_TARGET)
    reference = entry.get("reference")
    if not reference:
        return [LABELS[name], f"{_n(rps)} req/s", _cpu(entry), compared, "", "no reference run"]
    ratio = rps / reference["ok_rps"] if reference["ok_rps"] else 0
    return [
        LABELS[name],
        f"{_n(rps)} req/s",
        _cpu(entry),
        f"**{ratio:.2f}×** oidc-provider ({_n(reference['ok_rps'])}); {compared}",
        f"≥ {target:.1f}× oidc-provider",
        _verdict(ratio >= target) + _errors(entry),
    ]


def _cpu(entry: dict) -> str:
    ms = entry["wrk"].get("cpu_ms", 0)
    if not ms:
        return ""
    if entry.get("logins_ok"):
        ms = ms * entry["wrk"]["requests"] / entry["logins_ok"]
    return f"{ms:.2f} ms" if ms < 100 else f"{ms:.0f} ms"


def _mean(values: list[float]) -> float:
    values = [v for v in values if v]
    return sum(values) / len(values) if values else 0.0


def _errors(entry: dict) -> str:
    wrk = entry["wrk"]
    note = f"; p99 {wrk['latency_p99_ms']:.0f} ms"
    if wrk["errors"]:
        note += f"; {wrk['errors']} errors"
    if entry.get("note"):
        note += f"; {entry['note']}"
    return note


def table(run: dict) -> str:
    head = [
        "Measure",
        "Result",
        "Worker CPU per request",
        "Compared with",
        "Target (DESIGN.md, issue 12)",
        "Verdict",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(run)]
    return "\n".join(lines)


def block(run: dict, table_text: str) -> str:
    m, s = run["machine"], run["settings"]
    memory = "\n".join(
        f"  - {name} worker {w['pid']}: RSS {w['rss_kb'] / 1024:.1f} MB, "
        f"PSS {w['pss_kb'] / 1024:.1f} MB, USS {w['uss_kb'] / 1024:.1f} MB"
        if "pss_kb" in w
        else f"  - {name} process {w['pid']}: RSS {w['rss_kb'] / 1024:.1f} MB"
        for name, workers in run["memory"].items()
        for w in workers
    )
    reference = s.get("reference")
    compared = (
        f"a run of {reference} (one Node process, in memory) and of the minimal app"
        if reference
        else "a run of the minimal app"
    )
    return f"""{START}
## Latest run

- Date: {run["started"]} → {run["finished"]}
- Command: `{run["command"].strip()}`
- Machine: {m["host"]}, {m["cores"]} cores ({m["cpu"]}), {m["memory_gb"]} GB, Linux {m["kernel"]},
  Python {m["python"]}, {m["wrk"]}; load average before {m["load_before"]}, after {m["load_after"]}
- Server: `{s.get("server") or "gunicorn " + s["gunicorn"]}` (the minimal app under the
  same server, workers and threads),
  preset `{s["preset"]}`, bcrypt cost {s["bcrypt_rounds"]}, PostgreSQL `{s["database_url"]}`,
  Redis `{s["redis_url"] or "(in process)"}`
- Load: wrk, {s.get("wrk_threads", 1)} threads, {s["connections"]} connections,
  {s["duration"]:g} s per run after {s["warmup"]:g} s of warm-up (login: 1 thread,
  {s["login_connections"]} connections, {s["login_duration"]:g} s); each Compte run
  follows {compared}.

{table_text}

Worker memory after the load:
{memory}
{END}"""


def write_doc(path: Path, run: dict, table_text: str) -> None:
    new = block(run, table_text)
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: new, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    path.write_text(text)
