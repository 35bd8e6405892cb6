"""Background loops of a serving process: the mail delivery worker (idp/mail/worker.py)
and the periodic purges (idp/maintenance.py).

One thread per loop, per app, per process, started on demand: threads do not survive a
fork, so each gunicorn worker starts its own (`alive` is false in a forked child). A loop
runs its `tick()` after a first delay, then every interval or as soon as it is woken;
tests and commands stop one app's loops or every loop of the process.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

log = logging.getLogger(__name__)
_start_lock = threading.Lock()
# Every loop started in this process (a process may serve several apps: tests).
_started: weakref.WeakSet[Loop] = weakref.WeakSet()

L = TypeVar("L", bound="Loop")


class Loop:
    """Calls `tick()` after `first_delay` seconds, then every `interval` or when woken."""

    key = "compte.loop"  # its name in app.extensions, and its thread's name

    def __init__(self, app: Flask, interval: float, first_delay: float = 0.0) -> None:
        self.app = app
        self.interval = interval
        self.first_delay = first_delay
        self.pid = os.getpid()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def tick(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        """Loop until asked to stop (in this thread: `compte mail worker` runs it so)."""
        delay = self.first_delay
        while True:
            self._wake.wait(delay)
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                self.tick()
            except Exception:  # keep the loop alive; the error is logged
                log.exception("%s: pass failed", self.key)
            delay = self.interval

    def start(self: L) -> L:
        self.thread = threading.Thread(target=self.run, name=self.key, daemon=True)
        self.thread.start()
        _started.add(self)
        return self

    def wake(self) -> None:
        self._wake.set()

    def ask_to_stop(self) -> None:
        """End after the current pass (safe from a signal handler)."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """End after the current pass, waiting at most `timeout` seconds for it."""
        self.ask_to_stop()
        if self.thread is not None:
            self.thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive() and self.pid == os.getpid()


def ensure(app: Flask, key: str, make: Callable[[], L]) -> L:
    """This process's loop `key` for `app`, started with `make()` if not running."""
    loop = app.extensions.get(key)
    if loop is not None and loop.alive:
        return loop
    with _start_lock:
        loop = app.extensions.get(key)
        if loop is None or not loop.alive:
            loop = app.extensions[key] = make().start()
    return loop


def stop(app: Flask, key: str, timeout: float | None = None) -> None:
    """Stop this process's loop `key` for `app`, if any."""
    loop: Loop | None = app.extensions.pop(key, None)
    if loop is not None and loop.pid == os.getpid():
        loop.stop(timeout)


def stop_all(timeout: float | None = None) -> None:
    """Stop every loop this process started, for every app (tests)."""
    for loop in list(_started):
        if loop.pid == os.getpid():
            loop.stop(timeout)
            if loop.app.extensions.get(loop.key) is loop:
                loop.app.extensions.pop(loop.key)
