"""Helpers of the operations tests (no tests): reading Prometheus text, a silent server."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client.parser import text_string_to_metric_families


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    """Status and body of a GET to a real server; 4xx and 5xx answers too, and 0 when
    nothing answers (not started yet, or stopped)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of sample `name` whose labels include `labels` (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def has_metric(text: str, name: str) -> bool:
    """True when a sample called `name` is in the exposition."""
    return any(
        sample.name == name
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    )


@contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections (kernel backlog) and never answers a byte:
    a database or Redis that hangs. Yields the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]
