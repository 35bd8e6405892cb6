"""Sampling profile of the gunicorn workers during a measured run (py-spy, optional):
`scripts/bench --profile userinfo,token` writes collapsed stacks next to the other work
files and prints where the workers' time goes."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def py_spy() -> str | None:
    local = ROOT / ".venv" / "bin" / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def start(master_pid: int, seconds: float, output: Path) -> subprocess.Popen | None:
    exe = py_spy()
    if exe is None:
        print("  (py-spy not installed: .venv/bin/pip install py-spy)")
        return None
    cmd = [exe, "record", "--pid", str(master_pid), "--subprocesses", "--rate", "250"]
    cmd += ["--duration", str(max(1, round(seconds))), "--format", "raw", "--nonblocking"]
    cmd += ["--output", str(output)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def summary(output: Path, top: int = 18) -> str:
    """Self time by function (leaf frames) and inclusive time of Compte's own frames."""
    if not output.exists():
        return "  (no py-spy output)"
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in output.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        total += n
        leaves[_short(frames[-1])] += n
        for name in {_short(f) for f in frames}:
            inclusive[name] += n
    if not total:
        return "  (no samples)"
    lines = [f"  {total} samples; self time (leaf frames):"]
    lines += [f"    {100 * n / total:5.1f} %  {name}" for name, n in leaves.most_common(top)]
    lines.append("  inclusive time of library and Compte frames:")
    lines += [f"    {100 * n / total:5.1f} %  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    # "function (path/to/file.py:123)" -> "function (file.py)" with a package hint
    func, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{func} ({path})"
