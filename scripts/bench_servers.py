"""Servers and load for scripts/bench: gunicorn started and stopped by pid, wrk runs
(with generated Lua scripts for POSTs), worker memory read from /proc."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WRK = "/usr/bin/wrk"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout} s")


@dataclass
class Gunicorn:
    """One gunicorn master (and its workers) that this script started."""

    name: str
    app: str
    port: int
    workers: int
    worker_class: str
    threads: int
    env: dict
    log: Path
    preload: bool = False
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        cmd = [str(GUNICORN), "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers)]
        cmd += ["--worker-class", self.worker_class, "--log-level", "warning"]
        if self.worker_class == "gthread":
            cmd += ["--threads", str(self.threads)]
        if self.preload:
            cmd.append("--preload")
        return [*cmd, "--pythonpath", str(ROOT / "scripts"), self.app]

    def shown(self) -> str:
        """The command, less the app it serves, as the report prints it."""
        return shlex.join([Path(self.command()[0]).name, *self.command()[1:-1]])

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port, self.proc)
        # Wait until every worker is forked and has imported the app.
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to the master we started (it stops its workers), SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        workers = self.worker_pids()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        for pid in workers:  # normally gone with their master
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        master = self.proc.pid
        try:
            text = Path(f"/proc/{master}/task/{master}/children").read_text()
            return [int(pid) for pid in text.split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the workers (from /proc/<pid>/stat)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def memory(self) -> list[dict]:
        """RSS (and its anonymous and file-backed parts), PSS and USS (kB) of each worker,
        from /proc."""
        result = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            pss = _kb_field(rollup, "Pss")
            uss = _kb_field(rollup, "Private_Clean") + _kb_field(rollup, "Private_Dirty")
            rss = _kb_field(status, "VmRSS")
            anon, files = _kb_field(status, "RssAnon"), _kb_field(status, "RssFile")
            memory = {"pid": pid, "rss_kb": rss, "pss_kb": pss, "uss_kb": uss}
            result.append({**memory, "anon_kb": anon, "file_kb": files})
        return result


class Granian(Gunicorn):
    """The same app under granian (a Rust HTTP server, WSGI interface): workers are the
    master's children as with gunicorn; `threads` are its blocking threads per worker."""

    def command(self) -> list[str]:
        app, factory = (self.app[:-2], True) if self.app.endswith("()") else (self.app, False)
        cmd = [str(GUNICORN.parent / "granian"), "--interface", "wsgi", "--host", HOST]
        cmd += ["--port", str(self.port), "--workers", str(self.workers)]
        cmd += ["--blocking-threads", str(self.threads), "--log-level", "warning"]
        cmd += ["--working-dir", str(ROOT / "scripts")]
        if factory:
            cmd.append("--factory")
        return [*cmd, app]


class CompteRun(Gunicorn):
    """Compte as it is shipped: `compte run` (granian, idp/serving.py), with its own
    access log off as gunicorn's is here. Workers are the master's children."""

    def command(self) -> list[str]:
        cmd = [str(GUNICORN.parent / "compte"), "run", "--bind", f"{HOST}:{self.port}"]
        cmd += ["--workers", str(self.workers), "--threads", str(self.threads)]
        return [*cmd, "--access-log", ""]

    def shown(self) -> str:
        return shlex.join(["compte", *self.command()[1:]])


def compte_env(issuer: str, database_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    """The environment of a Compte started by a benchmark: this process's own, less its
    COMPTE_* variables, plus a fresh secret key, the database, Redis under a key prefix
    of this run, and no mail delivery."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTE_")}
    env.update(
        COMPTE_ISSUER=issuer,
        COMPTE_DATABASE_URL=database_url,
        COMPTE_SECRET_KEY=secrets.token_urlsafe(32),
        COMPTE_REDIS_URL=redis_url,
        COMPTE_RATELIMIT_KEY_PREFIX=f"{prefix}-{os.getpid()}",
        COMPTE_MAIL_WORKER="false",
    )
    return env


def _kb_field(text: str, name: str) -> int:
    match = re.search(rf"^{name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


# --- wrk ------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    latency_avg_ms: float
    latency_p99_ms: float
    errors: int  # socket errors + non-2xx/3xx responses
    non_2xx: int
    output: str = field(default="", repr=False)  # what wrk printed (a script's done() too)

    @property
    def ok_rps(self) -> float:
        return max(0, self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        values = {k: v for k, v in self.__dict__.items() if k != "output"}
        return {**values, "ok_rps": self.ok_rps}


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> WrkResult:
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    requests = int(total.group(1))
    seconds = _ms(total.group(2) + total.group(3)) / 1000.0
    latency = re.search(r"Latency\s+(\S+)", output)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non = int(non_2xx.group(1)) if non_2xx else 0
    errors = non + (sum(int(x) for x in socket_errors.groups()) if socket_errors else 0)
    return WrkResult(
        requests=requests,
        seconds=seconds,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        latency_avg_ms=_ms(latency.group(1)) if latency else 0.0,
        latency_p99_ms=_ms(p99.group(1)) if p99 else 0.0,
        output=output,
        errors=errors,
        non_2xx=non,
    )


def run_wrk(
    url: str, seconds: float, connections: int, threads: int = 1, script: Path | None = None
) -> WrkResult:
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    cmd += ["--latency", "--timeout", "10s"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr.strip() or out.stdout.strip()}")
    return parse_wrk(out.stdout)


def _lua_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lua_headers(headers: dict[str, str]) -> str:
    return "\n".join(f"wrk.headers[{_lua_str(k)}] = {_lua_str(v)}" for k, v in headers.items())


def lua_fixed(path: Path, method: str, uri: str, headers: dict[str, str], body: str = "") -> Path:
    """The same request every time (wrk's fast path: no Lua call per request)."""
    path.write_text(
        f"wrk.method = {_lua_str(method)}\nwrk.path = {_lua_str(uri)}\n"
        f"wrk.body = {_lua_str(body)}\n{_lua_headers(headers)}\n"
    )
    return path


def lua_rotating(
    path: Path, uri: str, headers: dict[str, str], bodies_file: Path, threads: int
) -> Path:
    """POSTs whose body is the next line of `bodies_file`; each wrk thread takes every
    `threads`-th line, so no body is sent twice until the file is used up."""
    path.write_text(
        f"""
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  bodies = {{}}
  local i = 0
  for line in io.lines({_lua_str(str(bodies_file))}) do
    if i % {threads} == id then table.insert(bodies, line) end
    i = i + 1
  end
  idx = 0
end
{_lua_headers(headers)}
function request()
  idx = idx + 1
  local body = bodies[((idx - 1) % #bodies) + 1]
  return wrk.format("POST", {_lua_str(uri)}, nil, body)
end
"""
    )
    return path
