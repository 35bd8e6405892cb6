"""The approximate place (city, country) of an IP address, for the sessions page and the
new sign-in mail: read from a local MaxMind-format database (GEOIP_DATABASE, e.g.
GeoLite2-City), never asked of an online service. Without the setting, or when the file
cannot be read, no place is shown: a place is a help to the person, never needed."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import current_app
from flask_babel import get_locale

log = logging.getLogger(__name__)

# One reader per database path for the whole process (opening maps the file; lookups are
# thread-safe). None: the file could not be opened, said once in the log.
_readers: dict[str, Any] = {}
_lock = threading.Lock()


def _record(path: str, ip: str) -> Any:
    """The database's record for `ip`; None when the file cannot be read, `ip` is not an
    address or its record is bad."""
    # maxminddb is imported with the first lookup: without GEOIP_DATABASE it never is
    # (0.4 MB per worker, with the multiprocessing package it imports).
    import maxminddb

    with _lock:
        if path not in _readers:
            try:
                _readers[path] = maxminddb.open_database(path)
            except Exception as error:  # missing, unreadable or not a database: no place
                log.warning(
                    "GEOIP_DATABASE %s cannot be read (%s): no place is shown",
                    path,
                    type(error).__name__,
                )
                _readers[path] = None
        reader = _readers[path]
    if reader is None:
        return None
    try:
        return reader.get(ip)
    except (ValueError, maxminddb.InvalidDatabaseError):  # not an address, or a bad record
        return None


def _name(entry: object, languages: tuple[str, ...]) -> str | None:
    names = entry.get("names") if isinstance(entry, dict) else None
    if not isinstance(names, dict):
        return None
    return next((names[lang] for lang in languages if isinstance(names.get(lang), str)), None)


def place_of(ip: str | None) -> str | None:
    """The place of `ip` as "Lyon, France" (in the page's language when the database has
    it), the country alone when that is all it knows, or None (no database, unknown or
    private address)."""
    path = current_app.config["GEOIP_DATABASE"]
    if not path or not ip:
        return None
    record = _record(str(path), ip)
    if not isinstance(record, dict):
        return None
    languages = (str(get_locale() or "fr"), "fr", "en")
    parts = [_name(record.get(key), languages) for key in ("city", "country")]
    return ", ".join(part for part in parts if part) or None
