"""Reference server for scripts/bench: panva's oidc-provider (Node, one process, in-memory
storage, one confidential client) started and stopped by pid, with tokens minted at start.

Manual check: python scripts/bench_reference.py --port 5999 --refresh-tokens 100
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLIENT_ID = "bench-client"


def reference_dir(root: Path) -> Path:
    return root / "scripts" / "reference" / "oidc-provider"


def ensure_installed(root: Path) -> None:
    """`npm ci` in scripts/reference/oidc-provider when its node_modules is missing."""
    directory = reference_dir(root)
    if (directory / "node_modules" / "oidc-provider" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is not installed: it is needed to install oidc-provider in "
            f"{directory} (install Node.js 20+ with npm, e.g. apt-get install -y nodejs npm)"
        )
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"npm ci failed in {directory}:\n{result.stderr.strip()[-2000:]}")


class OidcProviderReference:
    """One `node server.mjs` process that this object started, on 127.0.0.1:port."""

    def __init__(self, port: int, refresh_tokens: int = 40000) -> None:
        self.port = port
        self.refresh_token_count = refresh_tokens
        self.directory = reference_dir(ROOT)
        self.base_url = f"http://{HOST}:{port}"
        self.client_id = CLIENT_ID
        self.client_secret = secrets.token_urlsafe(24)
        self.access_token = ""
        self.refresh_tokens: list[str] = []
        self.paths: dict[str, str] = {}
        self.pid: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.tmp: Path | None = None
        self.log: Path | None = None

    @property
    def version(self) -> str:
        package = self.directory / "node_modules" / "oidc-provider" / "package.json"
        return json.loads(package.read_text())["version"]

    def url(self, name: str) -> str:
        return self.base_url + self.paths[name]

    def command(self, out: Path) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed (Node.js 20+ is needed)")
        return [
            node,
            "server.mjs",
            "--port",
            str(self.port),
            "--issuer",
            self.base_url,
            "--client-id",
            self.client_id,
            "--refresh-tokens",
            str(self.refresh_token_count),
            "--out",
            str(out),
        ]

    def start(self, timeout: float = 120.0) -> None:
        ensure_installed(ROOT)
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-oidc-provider-"))
        self.log = self.tmp / "server.log"
        out = self.tmp / "tokens.json"
        # The secret goes through the environment, not argv (visible in ps).
        env = {**os.environ, "CLIENT_SECRET": self.client_secret, "NODE_ENV": "production"}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.command(out),
                cwd=self.directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        self.pid = self.proc.pid
        try:
            self._wait_ready(timeout)
            data = json.loads(out.read_text())
        except BaseException:
            self.stop()
            raise
        self.access_token = data["access_token"]
        self.refresh_tokens = list(data["refresh_tokens"])
        self.paths = dict(data["paths"])

    def _wait_ready(self, timeout: float) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        buffer = b""
        while time.monotonic() < deadline:
            readable, _, _ = select.select([fd], [], [], 0.2)
            if readable:
                chunk = os.read(fd, 4096)
                if not chunk:  # stdout closed: the process is gone
                    break
                buffer += chunk
                if b"ready\n" in buffer:
                    return
            elif self.proc.poll() is not None:
                break
        status = self.proc.poll()
        why = f"exited with status {status}" if status is not None else f"not ready in {timeout} s"
        raise RuntimeError(f"oidc-provider {why}; log {self.log}:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:] if self.log else ""
        except OSError:
            return ""

    def memory(self) -> list[dict]:
        """The Node process's resident memory, as scripts/bench reports workers'."""
        if self.pid is None:
            return []
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
        return [
            {"pid": self.pid, "rss_kb": fields.get("VmRSS", 0), "hwm_kb": fields.get("VmHWM", 0)}
        ]

    def stop(self) -> None:
        """SIGTERM to the pid we started, SIGKILL if it is still there after 5 s."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> OidcProviderReference:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _brief(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def manual_check(ref: OidcProviderReference) -> bool:
    """One request to each endpoint the benchmark uses; True when all answer as expected."""
    import requests

    auth = (ref.client_id, ref.client_secret)
    session = requests.Session()
    ok = True

    def report(name: str, response: requests.Response, passed: bool) -> None:
        nonlocal ok
        ok = ok and passed
        mark = "ok  " if passed else "FAIL"
        print(f"{mark} {name}: {response.status_code} {_brief(response.text)}")

    r = session.get(ref.url("discovery"), timeout=10)
    report("discovery", r, r.status_code == 200 and r.json().get("issuer") == ref.base_url)

    r = session.get(ref.url("jwks"), timeout=10)
    report("jwks", r, r.status_code == 200 and bool(r.json().get("keys")))

    r = session.post(
        ref.url("token"), data={"grant_type": "client_credentials"}, auth=auth, timeout=10
    )
    report("client_credentials", r, r.status_code == 200 and "access_token" in r.json())

    r = session.post(
        ref.url("introspection"),
        data={"token": ref.access_token, "token_type_hint": "access_token"},
        auth=auth,
        timeout=10,
    )
    report("introspection", r, r.status_code == 200 and r.json().get("active") is True)

    r = session.get(
        ref.url("userinfo"), headers={"Authorization": f"Bearer {ref.access_token}"}, timeout=10
    )
    report("userinfo", r, r.status_code == 200 and "sub" in r.json())

    old = ref.refresh_tokens[0]
    form = {"grant_type": "refresh_token", "refresh_token": old}
    r = session.post(ref.url("token"), data=form, auth=auth, timeout=10)
    new = r.json().get("refresh_token") if r.status_code == 200 else None
    report("refresh_token", r, bool(new) and new != old)

    r = session.post(ref.url("token"), data=form, auth=auth, timeout=10)
    report("refresh_token reused", r, r.status_code == 400 and r.json()["error"] == "invalid_grant")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5999)
    parser.add_argument("--refresh-tokens", type=int, default=100)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with OidcProviderReference(args.port, refresh_tokens=args.refresh_tokens) as ref:
        print(
            f"oidc-provider {ref.version} pid {ref.pid} at {ref.base_url}, "
            f"{len(ref.refresh_tokens)} refresh tokens, ready in "
            f"{time.monotonic() - started:.1f} s"
        )
        print(f"paths: {json.dumps(ref.paths)}")
        ok = manual_check(ref)
    print("all checks passed" if ok else "some checks FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
