"""Where to send a person after login: only safe `next` URLs (no open redirect)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from idp.accounts.signals import service_origins
from idp.core.signals import answers

log = logging.getLogger(__name__)


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` in lower case, or None when `url` is not absolute http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None  # "https://good.example@evil.example" tricks people reading the URL
    default = 443 if parts.scheme.lower() == "https" else 80
    host = parts.hostname.lower()
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port and port != default else "")


def is_safe_next(url: str | None, allowed_origins: set[str] | frozenset[str] = frozenset()) -> bool:
    """A relative path starting with a single "/", or an absolute URL whose origin is allowed.

    Browsers read "\\" as "/" and drop tabs and newlines, so any of those is refused."""
    if not url or len(url) > 2000:
        return False
    if any(ch in url for ch in "\\\t\r\n ") or any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    if url.startswith("/"):
        if url.startswith("//"):
            return False
        parts = urlsplit(url)
        return not parts.scheme and not parts.netloc
    origin = origin_of(url)
    return origin is not None and origin in {o.rstrip("/").lower() for o in allowed_origins}


def allowed_origins() -> set[str]:
    """Origins of the organisation's services (the launcher's entries)."""
    try:
        return {origin for found in answers(service_origins) for origin in found}
    except Exception:  # noqa: BLE001 - never fail a login because of the launcher
        log.exception("could not read the launcher origins")
        return set()


def safe_next(url: str | None) -> str | None:
    """`url` when it is safe to redirect to after login, else None."""
    if not url:
        return None
    if url.startswith("/") and is_safe_next(url):
        return url
    return url if is_safe_next(url, allowed_origins()) else None
