"""Helpers of the operations tests (no tests): reading Prometheus text, a silent server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client.parser import text_string_to_metric_families


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
