"""The C allocator of each worker: at most two glibc malloc arenas.

glibc gives each thread that allocates its own arena (up to 8 per core), and memory freed
in one arena is not reused by the others: under granian's 4 blocking threads, a worker
ended scripts/bench_memory.py 1.4 MB of RSS higher with the default than with two arenas
(122.7 → 121.3 MB; MALLOC_ARENA_MAX=1 gave 120.4 MB but makes every thread wait on one
lock). Python's own small objects do not go through malloc's arenas (obmalloc): this is
the strings, buffers and C libraries' allocations (psycopg, bcrypt, OpenSSL).
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # glibc's <malloc.h>
ARENAS = 2


def limit_arenas(count: int = ARENAS) -> bool:
    """Ask glibc for at most `count` arenas, unless MALLOC_ARENA_MAX already chose (glibc
    read it at start); False where there is no glibc mallopt (macOS) or it refused."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(M_ARENA_MAX, count) == 1
