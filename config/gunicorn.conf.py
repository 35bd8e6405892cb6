"""Gunicorn configuration shipped with Compte (docs/deployment.md):

    gunicorn -c config/gunicorn.conf.py 'idp:create_app()'

Read from the environment (all optional), with the defaults of `compte run`
(SERVER_SETTINGS in idp/serving.py, the one place they are written):
    COMPTE_BIND        address(es) to listen on, comma-separated
    COMPTE_WORKERS     worker processes
    COMPTE_THREADS     threads per worker, gthread
    COMPTE_ACCESS_LOG  access log file, "-" for standard output, "" for none
    COMPTE_ERROR_LOG   error log file, "-" for standard error
    COMPTE_TIMEOUT     seconds before a silent worker is restarted (30; gunicorn's alone)

The access log redacts link tokens, query strings and credentials exactly as
`compte serve` does (idp/gunicorn_log.py). Prometheus metrics are shared by the workers
through PROMETHEUS_MULTIPROC_DIR (a fresh temporary folder unless set). The client
address and scheme behind a reverse proxy come from Compte's TRUSTED_PROXIES setting
only: gunicorn's own forwarded-header handling is turned off.
"""

import glob
import os
import shutil
import tempfile

# Set before any worker imports prometheus-client, which reads it at import time. The
# marker survives a reload (SIGHUP reads this file again) so that on_exit still cleans up.
_OWN_DIR_MARKER = "_COMPTE_OWN_METRICS_DIR"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="compte-metrics-")
    os.environ[_OWN_DIR_MARKER] = os.environ["PROMETHEUS_MULTIPROC_DIR"]

# The defaults and checks `compte run` uses. Imported once the folder is set, as anything
# of idp may one day import prometheus-client; the master imports the idp package anyway
# (logger_class below), and idp.serving adds only the standard library.
from idp.serving import counts, setting  # noqa: E402

bind = [b.strip() for b in setting(os.environ, "COMPTE_BIND").split(",")]
worker_class = "gthread"
workers, threads = counts(os.environ)
timeout = int(os.environ.get("COMPTE_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = 5
# The longest request line gunicorn takes (its default, 4094, is short for a POSTed
# authorization request that the login page replays as GET with its `claims` and
# `id_token_hint`).
limit_request_line = 8190

accesslog = setting(os.environ, "COMPTE_ACCESS_LOG") or None
errorlog = setting(os.environ, "COMPTE_ERROR_LOG") or "-"
logger_class = "idp.gunicorn_log.RedactingLogger"

# TRUSTED_PROXIES (idp/proxies.py) is the one place that believes forwarding headers.
forwarded_allow_ips = ""
secure_scheme_headers = {}


def on_starting(server):
    """Start from an empty metrics folder: values of an earlier run must not be added."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    """Forget the live gauges of a worker that exited (prometheus-client multiprocess)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder this configuration created."""
    if os.environ.get(_OWN_DIR_MARKER):
        shutil.rmtree(os.environ[_OWN_DIR_MARKER], ignore_errors=True)
