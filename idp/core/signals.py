"""Asking the areas above: a lower area sends a blinker signal (named in its own
`signals.py`) with the application as sender; the areas above connect their receivers for
that app in their `init_app`. These two helpers collect the answers."""

from __future__ import annotations

from typing import Any

from blinker import Signal
from flask import current_app


def answers(signal: Signal, **kwargs: Any) -> list[Any]:
    """The non-None answers of the receivers connected for this application."""
    results = signal.send(current_app._get_current_object(), **kwargs)  # noqa: SLF001
    return [value for _receiver, value in results if value is not None]


def first_answer(signal: Signal, **kwargs: Any) -> Any:
    """The first non-None answer, or None."""
    found = answers(signal, **kwargs)
    return found[0] if found else None
