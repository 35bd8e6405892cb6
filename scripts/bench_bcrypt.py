"""bcrypt alone, as Compte checks passwords (idp.accounts.passwords.verify_password):
checks per second in 1 process and in N processes, for a fixed time."""

from __future__ import annotations

import multiprocessing as mp
import time


def _loop(password_hash: str, password: str, seconds: float, queue) -> None:
    from idp.accounts.passwords import verify_password

    done = 0
    cpu = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        if not verify_password(password, password_hash):
            raise SystemExit("bcrypt check failed")
        done += 1
    queue.put((done, time.perf_counter() - started, time.process_time() - cpu))


def checks_per_second(rounds: int, processes: int, seconds: float) -> dict:
    """Total checks/s of `processes` processes each checking for `seconds`."""
    from idp.accounts.passwords import hash_password

    password = "Bench-mark-2026"  # noqa: S105
    password_hash = hash_password(password, rounds)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_loop, args=(password_hash, password, seconds, queue))
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    rate = sum(done / elapsed for done, elapsed, _ in results)
    checks = sum(done for done, _, _ in results)
    cpu_ms = 1000.0 * sum(cpu for _, _, cpu in results) / checks if checks else 0.0
    return {
        "rounds": rounds,
        "processes": processes,
        "checks": checks,
        "per_second": rate,
        "ms_per_check": 1000.0 * processes / rate if rate else 0.0,
        "cpu_ms_per_check": cpu_ms,
    }
