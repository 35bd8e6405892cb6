"""Counters of our own (the login throttle, spent passkey challenges) in the storage of
the rate limits: Redis shared by every instance (with its fallback, idp/core/ratelimit.py),
or this process's memory."""

from __future__ import annotations

from flask import current_app
from limits.storage import Storage, storage_from_string

from idp.core.extensions import limiter

_OWN_STORAGE = "compte.counter_storage"


def counters() -> Storage:
    """The limiter's storage. With RATELIMIT_ENABLED = false Flask-Limiter creates none,
    but these counters must keep working: one of our own, on the same URI."""
    if getattr(limiter, "_storage", None) is not None:
        return limiter.storage
    storage = current_app.extensions.get(_OWN_STORAGE)
    if storage is None:
        uri = current_app.config["RATELIMIT_STORAGE_URI"] or "memory://"
        storage = current_app.extensions[_OWN_STORAGE] = storage_from_string(uri)
    return storage
