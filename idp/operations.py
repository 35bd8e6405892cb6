"""What a load balancer and an operator ask: /healthz, /readyz, /metrics, and the request
metrics themselves, and the access log of `compte run`.

Served from a thin WSGI layer in front of Flask (as idp/oidc/prepared.py serves discovery
and JWKS): no session, no limiter, no login hook runs for a probe. The same layer times
every request below it and counts it by endpoint (the Flask endpoint name, which Flask
leaves in the environ when it tears the request down, or a fixed label) and status.

/metrics answers a bearer METRICS_TOKEN (compared in constant time) or an address in
METRICS_ALLOWED_NETWORKS; anyone else gets the ordinary 404 of an unknown page. A request
relayed by a proxy that is not in TRUSTED_PROXIES (it carries forwarding headers nobody
vouched for) is never admitted by address: its real sender is unknown.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, request

from idp import readiness
from idp.core import metrics
from idp.core.config import ConfigError
from idp.core.metrics import ENDPOINT_KEY
from idp.core.request_log import access_entry
from idp.oidc.prepared import DISCOVERY_PATH, JWKS_PATH
from idp.proxies import PROXY_ADDR_KEY, in_networks, parse_address, parse_networks

# Compte's own access log, written only where a server gives it a handler (`compte run`,
# idp/serving.py): the client address is the one TRUSTED_PROXIES resolved, and the line is
# redacted (idp/core/request_log.access_entry). gunicorn and `compte serve` keep theirs.
ACCESS_LOG = logging.getLogger("compte.access")
ACCESS_LOG.propagate = False
# Answers that never reach Flask get a fixed label (bounded cardinality).
FIXED_LABELS = {DISCOVERY_PATH: "prepared.discovery", JWKS_PATH: "prepared.jwks"}
JSON_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]

Answer = tuple[str, list[tuple[str, str]], bytes]


def _json(status: str, body: dict[str, Any]) -> Answer:
    return status, list(JSON_HEADERS), json.dumps(body, sort_keys=True).encode()


def _outbox_rows(app: Flask) -> Callable[[], list]:
    return lambda: readiness.bounded(
        app, "outbox", lambda: readiness.query(app, metrics.OUTBOX_QUERY)
    )


class Operations:
    """WSGI middleware: the operator endpoints, and request metrics for everything below."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.token = str(app.config["METRICS_TOKEN"]).encode()
        if self.token and len(self.token) < 16:
            raise ConfigError("METRICS_TOKEN must be at least 16 characters long")
        self.networks = parse_networks(
            app.config["METRICS_ALLOWED_NETWORKS"], "METRICS_ALLOWED_NETWORKS"
        )
        self.routes: dict[str, Callable[[dict], Answer | None]] = {
            "/healthz": self.healthz,
            "/readyz": self.readyz,
            "/metrics": self.metrics,
        }
        self.outbox = metrics.OutboxCollector(
            _outbox_rows(app), lambda: datetime.now(UTC).replace(tzinfo=None)
        )
        # Whether a server asked for Compte's access log, decided once: `compte run`
        # (idp/serving.py) configures the logger's handlers before a worker builds the app.
        self.access_log = bool(ACCESS_LOG.handlers)

    def healthz(self, environ: dict) -> Answer:
        return _json("200 OK", {"status": "ok"})

    def readyz(self, environ: dict) -> Answer:
        checks = readiness.readiness(self.app)
        ready = all(state == readiness.OK for state in checks.values())
        status = "200 OK" if ready else "503 Service Unavailable"
        answer = _json(status, {"status": "ok" if ready else "unavailable", "checks": checks})
        if not ready:
            answer[1].append(("Retry-After", "5"))
        return answer

    def metrics_allowed(self, environ: dict) -> bool:
        """A matching bearer token, or an allowed address that no unknown proxy relayed."""
        if self.token:
            scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
            offered = value.strip().encode("utf-8", "replace")
            if scheme.lower() == "bearer" and hmac.compare_digest(offered, self.token):
                return True
        relayed = environ.get("HTTP_FORWARDED") or environ.get("HTTP_X_FORWARDED_FOR")
        if relayed and PROXY_ADDR_KEY not in environ:
            return False
        return in_networks(parse_address(environ.get("REMOTE_ADDR")), self.networks)

    def metrics(self, environ: dict) -> Answer | None:
        if not self.metrics_allowed(environ):
            return None  # the ordinary 404 of an unknown page: nothing is revealed
        headers = [("Content-Type", metrics.CONTENT_TYPE), ("Cache-Control", "no-store")]
        return "200 OK", headers, metrics.render([self.outbox])

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        route = self.routes.get(path)
        if route is not None and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            answer = route(environ)
            if answer is not None:
                status, headers, body = answer
                headers.append(("Content-Length", str(len(body))))
                start_response(status, headers)
                seconds = time.perf_counter() - started
                metrics.observe_request(path.lstrip("/"), status[:3], seconds)
                if self.access_log:
                    size = str(len(body))
                    ACCESS_LOG.info(access_entry(environ, status[:3], size, seconds, time.time()))
                return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]
        statuses: list[str] = []
        sizes: list[str | None] = []

        def recording(status: str, headers: list, exc_info: Any = None) -> Callable:
            statuses.append(status)
            if self.access_log:
                sizes.append(next((v for k, v in headers if k == "Content-Length"), None))
            return start_response(status, headers, exc_info)

        try:
            result = self.wsgi_app(environ, recording)
        except BaseException:
            self._observe(environ, path, "500", started, None)
            raise
        status = statuses[-1][:3] if statuses else "unknown"
        self._observe(environ, path, status, started, sizes[-1] if sizes else None)
        return result

    def _observe(
        self, environ: dict, path: str, status: str, started: float, size: str | None
    ) -> None:
        seconds = time.perf_counter() - started
        endpoint = environ.get(ENDPOINT_KEY) or FIXED_LABELS.get(path, "other")
        metrics.observe_request(endpoint, status, seconds)
        if self.access_log:
            ACCESS_LOG.info(access_entry(environ, status, size, seconds, time.time()))


def _remember_endpoint(_error: BaseException | None = None) -> None:
    """Leave Flask's endpoint name (bounded) in the environ for the request metrics."""
    request.environ[ENDPOINT_KEY] = request.endpoint or "unmatched"


def install(app: Flask) -> None:
    """Serve the operator endpoints and count requests in front of the app."""
    app.teardown_request(_remember_endpoint)
    app.wsgi_app = Operations(app, app.wsgi_app)  # type: ignore[method-assign]
