"""`compte run`: Compte in production under granian, the shipped server.

granian (a Rust HTTP server with a WSGI interface) was chosen from measurements
(docs/benchmarks.md, « Speed and scale »): in one sitting on 2 cores it answers twice what
gunicorn's gthread workers do for the same app, which is what discovery and JWKS need to
keep up with oidc-provider. gunicorn with config/gunicorn.conf.py keeps working.

What this module adds to granian, so that both servers behave the same:
- settings read from the same COMPTE_* variables as config/gunicorn.conf.py, with the same
  defaults: SERVER_SETTINGS, `setting` and `counts` here are what that file reads too;
- the access log is Compte's own (idp/operations.py, logger `compte.access`), redacted and
  with the client address resolved through TRUSTED_PROXIES; granian's is left off, since it
  sees neither;
- granian's own messages and the app's log go through the same RedactingFilter;
- Prometheus metrics are shared by the workers through PROMETHEUS_MULTIPROC_DIR (a fresh
  temporary folder unless set, emptied at start and removed at the end);
- the process environment stays out of each request's WSGI environ (`without_process_env`).
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # as idp/core/metrics.py: not imported, see run()

log = logging.getLogger(__name__)

# Variable, default, meaning: the one place of these defaults, for `compte run` and for
# config/gunicorn.conf.py, which reads them from here (docs/deployment.md).
SERVER_SETTINGS = {
    "COMPTE_BIND": ("127.0.0.1:8000", "address to listen on, host:port"),
    "COMPTE_WORKERS": ("", "worker processes (default: the number of cores)"),
    "COMPTE_THREADS": ("4", "threads per worker"),
    "COMPTE_ACCESS_LOG": ("-", 'access log file, "-" for standard output, "" for none'),
    "COMPTE_ERROR_LOG": ("-", 'error log file, "-" for standard error'),
    "COMPTE_WORKER_MAX_RSS": ("", "MiB above which a worker is replaced (default: never)"),
}
# Keys a request's scope always sets itself: never taken from the process environment.
_SCOPE_PREFIXES = ("HTTP_", "wsgi.")
_SCOPE_KEYS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


class ServerSettingError(ValueError):
    """A server setting that cannot be used (its message says which and why)."""


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    workers: int
    threads: int
    access_log: str
    error_log: str
    worker_max_rss: int | None


def _positive(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ServerSettingError(f"{name} must be a whole number of at least 1, not {value!r}")
    return number


def setting(values: Mapping[str, str], name: str) -> str:
    """The COMPTE_* server setting `name` from `values`, or its default when unset."""
    value = values.get(name)
    return SERVER_SETTINGS[name][0] if value is None else value


def counts(values: Mapping[str, str]) -> tuple[int, int]:
    """Worker processes and threads per worker, each at least 1; empty means the default
    (for workers: the number of cores)."""
    workers = setting(values, "COMPTE_WORKERS") or str(os.cpu_count() or 2)
    threads = setting(values, "COMPTE_THREADS") or SERVER_SETTINGS["COMPTE_THREADS"][0]
    return _positive("COMPTE_WORKERS", workers), _positive("COMPTE_THREADS", threads)


def settings_from(values: Mapping[str, str]) -> ServerSettings:
    """The server's settings from COMPTE_* values (the environment, then the options)."""
    bind = setting(values, "COMPTE_BIND").strip()
    host, _, port = bind.rpartition(":")
    if "," in bind or not host or not port.isdigit():
        raise ServerSettingError(
            f"COMPTE_BIND must be one host:port (for instance 127.0.0.1:8000), not {bind!r}"
        )
    max_rss = setting(values, "COMPTE_WORKER_MAX_RSS")
    workers, threads = counts(values)
    return ServerSettings(
        host=host.strip("[]"),
        port=int(port),
        workers=workers,
        threads=threads,
        access_log=setting(values, "COMPTE_ACCESS_LOG"),
        error_log=setting(values, "COMPTE_ERROR_LOG") or "-",
        worker_max_rss=_positive("COMPTE_WORKER_MAX_RSS", max_rss) if max_rss else None,
    )


def _handler(destination: str, stream: str) -> dict[str, Any]:
    if destination == "-":
        return {"class": "logging.StreamHandler", "stream": stream}
    # Reopened when logrotate moves the file.
    return {"class": "logging.handlers.WatchedFileHandler", "filename": destination}


def logging_config(settings: ServerSettings) -> dict[str, Any]:
    """granian's logging, each worker's too: one redacted error log and the access log."""
    redact = {"()": "idp.core.request_log.RedactingFilter"}
    error = {**_handler(settings.error_log, "ext://sys.stderr"), "filters": ["redact"]}
    error["formatter"] = "generic"
    handlers: dict[str, Any] = {"error": error}
    access: dict[str, Any] = {"handlers": [], "level": "INFO", "propagate": False}
    if settings.access_log:
        handlers["access"] = {**_handler(settings.access_log, "ext://sys.stdout")}
        handlers["access"]["formatter"] = "access"
        access["handlers"] = ["access"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": redact},
        "formatters": {
            "generic": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "access": {"format": "%(message)s"},
        },
        "handlers": handlers,
        "root": {"handlers": ["error"], "level": "INFO"},
        "loggers": {
            "_granian": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": [], "propagate": False},
            "compte.access": access,
        },
    }


def without_process_env(wsgi_app: Callable) -> Callable:
    """The app, called with granian's environ less the process environment it copies in.

    granian starts every request's environ from a copy of os.environ: the secret key and
    the database URL would sit in each request (any error reporter that dumps the environ
    would print them), and a variable such as HTTP_PROXY would pass for a header the client
    never sent. Keys a request sets itself (headers) are kept when their value differs."""
    process_env = dict(os.environ)
    always = [k for k in process_env if not k.startswith(_SCOPE_PREFIXES) and k not in _SCOPE_KEYS]
    unless_sent = [(k, v) for k, v in process_env.items() if k not in always]

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        for key in always:
            environ.pop(key, None)
        for key, value in unless_sent:
            if environ.get(key) == value:
                del environ[key]
        return wsgi_app(environ, start_response)

    return app


def wsgi_app() -> Callable:
    """granian's target in each worker: the app, built from the environment."""
    from idp import create_app

    return without_process_env(create_app())


def _metrics_folder() -> tuple[str, bool]:
    """PROMETHEUS_MULTIPROC_DIR, set before any worker imports prometheus-client."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        return folder, False
    folder = tempfile.mkdtemp(prefix="compte-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    return folder, True


def exec_server(values: Mapping[str, str]) -> None:
    """Replace this process (same pid) with `python -m idp.serving` under these settings.

    The `compte` command has imported every area and prometheus-client, which reads
    PROMETHEUS_MULTIPROC_DIR once, at import: workers forked from it would carry both
    and count nothing together. A fresh master imports only this module."""
    env = {**os.environ, **values}
    os.execve(sys.executable, [sys.executable, "-m", "idp.serving"], env)  # noqa: S606 (no shell)


def run(settings: ServerSettings) -> None:
    """Serve until SIGTERM or SIGINT; workers that die are replaced."""
    from granian import Granian
    from granian.constants import Interfaces

    folder, own = _metrics_folder()
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):  # an earlier run's values
        os.remove(stale)
    server = Granian(
        "idp.serving:wsgi_app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.WSGI,
        factory=True,
        workers=settings.workers,
        blocking_threads=settings.threads,
        log_dictconfig=logging_config(settings),
        log_access=False,  # Compte's own, in idp/operations.py
        respawn_failed_workers=True,
        workers_kill_timeout=30,  # as gunicorn's graceful_timeout
        workers_max_rss=settings.worker_max_rss,
    )
    try:
        server.serve()
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    try:
        chosen = settings_from(os.environ)
    except ServerSettingError as error:
        sys.exit(f"compte run: {error}")
    run(chosen)
