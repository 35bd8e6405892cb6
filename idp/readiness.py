"""Readiness of this instance: the database answers, Redis answers (when configured), a
signing key is there. Each check runs in a thread of its own and is waited for at most
HEALTH_CHECK_TIMEOUT seconds, so that a dead or silent server never holds a load
balancer's probe; a check still stuck from an earlier probe is not started again (it
answers "timeout" at once), so a long outage cannot pile threads up.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
import sqlalchemy as sa
from flask import Flask

from idp.core.extensions import db
from idp.oidc.keys import keyring

log = logging.getLogger(__name__)

OK = "ok"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
MISSING = "missing"
UNAVAILABLE = "unavailable"
_STATE_KEY = "compte.readiness"
_REDIS_KEY = "compte.readiness_redis"


class Stuck(Exception):
    """The check did not answer in time (or an earlier one still has not)."""


class Pending:
    """A check running in its own thread; `result()` waits for it until a deadline."""

    def __init__(self, name: str, function: Callable[[], Any], finished: Callable[[], None]):
        self.name = name
        self._done = threading.Event()
        self._outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                self._outcome["value"] = function()
            except BaseException as error:  # handed to the waiting thread
                self._outcome["error"] = error
            finally:
                finished()
                self._done.set()

        threading.Thread(target=target, name=f"compte-check-{name}", daemon=True).start()

    def result(self, deadline: float) -> Any:
        if not self._done.wait(max(0.0, deadline - time.monotonic())):
            raise Stuck(f"{self.name}: no answer in time")
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["value"]


class Runner:
    """One check of one app: never more than one thread at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._busy = False

    def _finished(self) -> None:
        with self._lock:
            self._busy = False

    def start(self, function: Callable[[], Any]) -> Pending:
        with self._lock:
            if self._busy:
                raise Stuck(f"{self.name}: the previous check has not answered yet")
            self._busy = True
        return Pending(self.name, function, self._finished)


def start(app: Flask, name: str, function: Callable[[], Any]) -> Pending:
    """Start `function` (inside an app context) as this app's check `name`."""
    runners: dict[str, Runner] = app.extensions.setdefault(_STATE_KEY, {})
    runner = runners.get(name) or runners.setdefault(name, Runner(name))

    def in_context() -> Any:
        with app.app_context():
            return function()

    return runner.start(in_context)


def bounded(app: Flask, name: str, function: Callable[[], Any]) -> Any:
    """Run `function` as check `name`, waiting at most HEALTH_CHECK_TIMEOUT seconds."""
    return start(app, name, function).result(time.monotonic() + timeout(app))


def timeout(app: Flask) -> float:
    """Seconds a check may take (HEALTH_CHECK_TIMEOUT, at least 0.1)."""
    return max(0.1, float(app.config["HEALTH_CHECK_TIMEOUT"]))


def limit_statement(connection: sa.Connection, seconds: float) -> None:
    """On PostgreSQL, cancel this transaction's statements after `seconds`."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")


def query(app: Flask, statement: sa.Executable) -> list[tuple]:
    """The rows of one statement on a connection of its own, bounded by the check timeout."""

    with db.engine.connect() as connection:
        limit_statement(connection, timeout(app))
        return [tuple(row) for row in connection.execute(statement)]


def _database(app: Flask) -> str:
    query(app, sa.text("SELECT 1"))
    return OK


def _redis(app: Flask) -> str:

    client = app.extensions.get(_REDIS_KEY)
    if client is None:
        seconds = timeout(app)
        client = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=seconds, socket_timeout=seconds
        )
        app.extensions[_REDIS_KEY] = client
    client.ping()
    return OK


def _signing_keys(app: Flask) -> str:

    return OK if keyring().schedule else MISSING


def checks(app: Flask) -> dict[str, Callable[[Flask], str]]:
    """The checks that apply to this instance, by name."""
    found: dict[str, Callable[[Flask], str]] = {"database": _database}
    if app.config["REDIS_URL"]:
        found["redis"] = _redis
    found["signing_keys"] = _signing_keys
    return found


def readiness(app: Flask) -> dict[str, str]:
    """Run every check at once, each under the same deadline; returns {name: state}."""
    deadline = time.monotonic() + timeout(app)
    pending: dict[str, Pending | None] = {}
    for name, check in checks(app).items():
        try:
            pending[name] = start(app, name, functools.partial(check, app))
        except Stuck as error:
            log.warning("Readiness: %s", error)
            pending[name] = None
    results = {}
    for name, running in pending.items():
        if running is None:
            results[name] = TIMEOUT
            continue
        try:
            results[name] = running.result(deadline)
        except Stuck as error:
            log.warning("Readiness: %s", error)
            results[name] = TIMEOUT
        except Exception as error:
            log.warning("Readiness: %s failed (%s)", name, type(error).__name__)
            results[name] = UNAVAILABLE if name == "signing_keys" else UNREACHABLE
    return results
