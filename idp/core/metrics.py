"""Prometheus metrics: every definition lives here, with the small functions that count.

Foundation level: imports nothing from the areas, so that any of them may count. Under
gunicorn, `config/gunicorn.conf.py` sets PROMETHEUS_MULTIPROC_DIR before this module is
imported, and every worker writes its values there (prometheus-client's multiprocess
mode); `render()` then adds up all workers. Elsewhere the process's own registry is used.
The outbox gauges are read from the database when /metrics is scraped (`OutboxCollector`).
Every label has a bounded set of values: never a raw path, address or client id.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Where a request's endpoint label is left in the WSGI environ for the request metrics
# (by Flask's teardown, or by a layer that answers before Flask: idp/oidc/lean).
ENDPOINT_KEY = "compte.endpoint"
CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # no `_created` series: they double the output for nothing here
if os.environ.get(MULTIPROC_ENV):  # a missing folder would make this very import fail
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)

REQUESTS = Counter(
    "compte_http_requests",
    "HTTP requests answered, by endpoint (Flask endpoint name or a fixed label) and status.",
    ["endpoint", "status"],
)
LATENCY = Histogram(
    "compte_http_request_duration_seconds",
    "Time to produce an answer, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SIGN_INS = Counter(
    "compte_sign_ins", "Password sign-ins, by outcome (succeeded, failed).", ["outcome"]
)
TOKENS_ISSUED = Counter("compte_tokens_issued", "Token responses issued, by grant.", ["grant_type"])
REFRESH_REUSE = Counter(
    "compte_refresh_token_reuse_detected",
    "Refresh tokens presented again after rotation (the family is revoked).",
)
CAPTCHAS_SHOWN = Counter("compte_captchas_shown", "Captcha challenges drawn for a person.")
MAILS = Counter(
    "compte_mails", "Outbox mails, by outcome (queued, sent, failed, dead).", ["outcome"]
)

MAIL_OUTCOMES = frozenset({"queued", "sent", "failed", "dead"})
GRANT_TYPES = frozenset({"authorization_code", "refresh_token", "client_credentials"})
_SIGN_IN_EVENTS = {
    "login.succeeded": "succeeded",
    "login.failed": "failed",
    "login.locked": "failed",
}


def count_mail(outcome: str) -> None:
    """Count one outbox mail `outcome`: "queued", "sent", "failed" (an attempt) or "dead"."""
    if outcome not in MAIL_OUTCOMES:
        raise ValueError(f"unknown mail outcome {outcome!r}")
    MAILS.labels(outcome).inc()


def count_captcha_shown() -> None:
    """Count one captcha challenge drawn for a person."""
    CAPTCHAS_SHOWN.inc()


def observe_event(event_type: str, details: Mapping[str, Any]) -> None:
    """Count what an audit event tells (called by idp.audit.record for every event)."""
    if outcome := _SIGN_IN_EVENTS.get(event_type):
        SIGN_INS.labels(outcome).inc()
    elif event_type == "token.issued":
        grant = details.get("grant_type")
        TOKENS_ISSUED.labels(grant if grant in GRANT_TYPES else "other").inc()
    elif event_type == "token.refresh_reuse_detected":
        REFRESH_REUSE.inc()


# (endpoint, status) -> its counter and histogram: labels() costs more than inc() itself.
_request_series: dict[tuple[str, str], tuple[Any, Any]] = {}


def observe_request(endpoint: str, status: int | str, seconds: float) -> None:
    """Count one answered request and its latency (labels must be bounded)."""
    key = (endpoint, str(status))
    series = _request_series.get(key)
    if series is None:
        series = _request_series[key] = (REQUESTS.labels(*key), LATENCY.labels(endpoint))
    series[0].inc()
    series[1].observe(seconds)


# --- Outbox gauges, read at scrape time ---------------------------------------------------

_outbox = sa.table(
    "outbox_message",
    sa.column("status", sa.String),
    sa.column("created_at", sa.DateTime),
)
OUTBOX_QUERY = sa.select(
    _outbox.c.status, sa.func.count(), sa.func.min(_outbox.c.created_at)
).group_by(_outbox.c.status)


def outbox_families(rows: list[tuple[str, int, datetime | None]], now: datetime) -> list[Metric]:
    """The outbox gauges from (status, count, oldest created_at) rows."""
    counts = GaugeMetricFamily(
        "compte_outbox_messages", "Outbox messages by status (pending, dead).", labels=["status"]
    )
    by_status = {status: (count, oldest) for status, count, oldest in rows}
    for status in ("pending", "dead"):
        counts.add_metric([status], float(by_status.get(status, (0, None))[0]))
    oldest = by_status.get("pending", (0, None))[1]
    age = GaugeMetricFamily(
        "compte_outbox_oldest_pending_age_seconds",
        "Age of the oldest message still waiting to be sent (0 when none).",
        value=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0,
    )
    return [counts, age]


class OutboxCollector:
    """Collects the outbox gauges with `read_rows()`; a failure skips them (and warns)."""

    def __init__(
        self,
        read_rows: Callable[[], list[tuple[str, int, datetime | None]]],
        now: Callable[[], datetime],
    ) -> None:
        self.read_rows = read_rows
        self.now = now

    def collect(self) -> Iterator[Metric]:
        try:
            rows = self.read_rows()
        except Exception as error:  # a scrape must answer even when the database does not
            log.warning("Outbox gauges skipped: %s", type(error).__name__)
            return
        yield from outbox_families(rows, self.now())


class _Forward:
    """Exposes another registry's metrics inside a scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


def multiprocess_dir() -> str | None:
    """The multiprocess folder when running under the shipped gunicorn configuration."""
    return os.environ.get(MULTIPROC_ENV) or None


def render(extra: Sequence[Any] = ()) -> bytes:
    """The Prometheus text exposition: this process (or every gunicorn worker) plus the
    `extra` collectors (read now)."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)
