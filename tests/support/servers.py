"""Real servers for tests: a free port, a WSGI app served in a thread."""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

# Ports are chosen before the server that uses them starts (the issuer's URL names its
# port), so a port the kernel hands out meanwhile, to another worker or as the source
# port of a connection to PostgreSQL or Redis, would be taken: "Address already in use".
# Each pytest-xdist worker therefore takes its ports in turn from a slice of its own,
# below the kernel's ephemeral range.
_LOW, _HIGH = 15000, 32000
_SLICE = 1000


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) if worker.isdigit() else 0
    # Two test runs side by side on one machine (COMPTE_TEST_PORT_SLOT=8 for the second)
    # take different slices too.
    index += int(os.environ.get("COMPTE_TEST_PORT_SLOT", "0") or 0)
    high = min(_HIGH, _ephemeral_low())
    slices = max(1, (high - _LOW) // _SLICE)
    start = _LOW + (index % slices) * _SLICE
    return range(start, min(start + _SLICE, high))


_next_port = itertools.cycle(_slice())


def free_port() -> int:
    """A port on 127.0.0.1 that is free now and that no other test worker will pick."""
    for _ in range(_SLICE):
        port = next(_next_port)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in this test worker's slice")


def closing_answers(app):
    """`app`, whose answers are closed even when the client has gone: Werkzeug's server,
    after a dropped connection, fails reading what is left of the request and never
    calls close(), so a static file it was sending (a favicon the browser gave up on)
    stayed open until garbage collection, a ResourceWarning in whichever test ran then."""

    def wrapped(environ, start_response):
        answer = app(environ, start_response)
        try:
            yield from answer
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wrapped


@contextmanager
def serve_wsgi(app, port: int) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:port in a background thread; yields the base URL."""
    # Bound here rather than by werkzeug, which calls sys.exit() when the port is taken.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    server = make_server(
        "127.0.0.1", port, closing_answers(app), threaded=True, fd=listener.fileno()
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        listener.close()


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; returns it, or raises."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
