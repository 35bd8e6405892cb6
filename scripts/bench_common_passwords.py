"""The offline common-password list (idp/accounts/common_passwords.py): what its first use
costs a process (read time, memory) and what a lookup costs afterwards.

    .venv/bin/python scripts/bench_common_passwords.py [--runs 7]

Each run is a fresh Python process (the list is read once per process): it reads VmRSS
before and after the first lookup, times that first lookup (the read: wall time, and CPU
time, which depends less on what else runs on the machine), then times 200,000 lookups of a
common and of an uncommon password, and 2,000 checks of the whole cnfpt policy. Prints the
median and range of the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import gc, json, time

def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

from idp.accounts import common_passwords, policy

gc.collect()
before = rss_mb()
started, cpu = time.perf_counter(), time.process_time()
common_passwords.is_common("warm-up")
load, load_cpu = time.perf_counter() - started, time.process_time() - cpu
gc.collect()
after = rss_mb()

def per_lookup(password, n=200_000):
    started = time.perf_counter()
    for _ in range(n):
        common_passwords.is_common(password)
    return (time.perf_counter() - started) / n

started = time.perf_counter()
for _ in range(2_000):
    policy.check("Vertige-Cobalt-47", policy="cnfpt", given_name="Ivan", family_name="Petrov")
check = (time.perf_counter() - started) / 2_000
print(json.dumps({
    "entries": len(common_passwords.entries()),
    "load_ms": load * 1000,
    "load_cpu_ms": load_cpu * 1000,
    "rss_mb": after - before,
    "hit_us": per_lookup("PassWord1") * 1e6,
    "miss_us": per_lookup("Vertige-Cobalt-47") * 1e6,
    "check_us": check * 1e6,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        runs.append(json.loads(out))
    size = (ROOT / "idp/accounts/data/common-passwords.txt.gz").stat().st_size
    print(f"file: {size:,} bytes gzip; entries once folded: {runs[0]['entries']:,}")
    print(f"python {sys.version.split()[0]}, {args.runs} fresh processes (median [min, max])")
    labels = {
        "load_ms": "first use: read and fold the list, wall time (ms)",
        "load_cpu_ms": "first use: read and fold the list, CPU time (ms)",
        "rss_mb": "first use: resident memory added (MB)",
        "hit_us": "lookup, common password (µs)",
        "miss_us": "lookup, uncommon password (µs)",
        "check_us": "policy.check, whole cnfpt policy (µs)",
    }
    for key, label in labels.items():
        values = [run[key] for run in runs]
        print(f"{label}: {statistics.median(values):.2f} [{min(values):.2f}, {max(values):.2f}]")


if __name__ == "__main__":
    main()
