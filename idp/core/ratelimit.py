"""Counters of the rate limits and of the login throttle: in Redis, shared by every
instance, and in this process's memory while Redis is unreachable.

Flask-Limiter's own in-memory fallback covers only its decorated limits, not the login
throttle that reads the same storage; so the storage itself falls back. It is registered
with `limits` under the scheme `compte+redis://` (idp/core/config.py uses it when REDIS_URL is
set). When Redis fails, every call goes to memory, a warning is logged and
`storage_changed` is sent (the audit area records it); Redis is tried again every
RECHECK_SECONDS, and the counters go back to it once it answers.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from blinker import Namespace
from limits.storage import MemoryStorage, RedisStorage, Storage

log = logging.getLogger(__name__)
SCHEME_PREFIX = "compte+"
RECHECK_SECONDS = 5.0
# Sent with available=False when counting falls back to memory, True when Redis is back.
storage_changed = Namespace().signal("compte.ratelimit-storage-changed")


class FallbackRedisStorage(Storage):
    """Redis when it answers, this process's memory while it does not."""

    STORAGE_SCHEME = ["compte+redis", "compte+rediss"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        # Short socket timeouts: a silent Redis must not hang a sign-in.
        options.setdefault("socket_connect_timeout", 1)
        options.setdefault("socket_timeout", 1)
        self.redis = RedisStorage(uri.removeprefix(SCHEME_PREFIX), **options)
        self.memory = MemoryStorage()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        # Never raised to callers: failures of Redis are absorbed here.
        return ()

    @property
    def using_memory(self) -> bool:
        return self._down_since is not None

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._down_since is None or time.monotonic() >= self._retry_at:
            try:
                result = getattr(self.redis, name)(*args, **kwargs)
            except self.redis.base_exceptions as error:
                self._went_down(error)
            else:
                self._came_back()
                return result
        return getattr(self.memory, name)(*args, **kwargs)

    def _went_down(self, error: Exception) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + RECHECK_SECONDS
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        log.warning(
            "Redis unreachable (%s): rate limits counted in this process until it is back",
            type(error).__name__,
        )
        storage_changed.send(self, available=False, reason=type(error).__name__)

    def _came_back(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            if self._down_since is None:
                return
            outage = time.monotonic() - self._down_since
            self._down_since = None
        log.warning("Redis reachable again after %.0f s: rate limits shared again", outage)
        storage_changed.send(self, available=True, outage_seconds=round(outage))

    # --- limits' storage interface -------------------------------------------------------

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount=amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def clear(self, key: str) -> None:
        self._call("clear", key)

    def check(self) -> bool:
        return True  # usable either way

    def reset(self) -> int | None:
        self.memory.reset()
        return self._call("reset")
