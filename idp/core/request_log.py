"""Logs without secrets: e-mail link tokens live in paths and tokens or hints in query
strings, so those are blanked before anything is logged: the access log of `compte serve`
(here), of gunicorn (idp/gunicorn_log.py, same `redact`), and the app's own log,
Flask's "Exception on <path>" error line and its traceback included (`RedactingFilter`,
installed by create_app)."""

from __future__ import annotations

import logging
import re

from werkzeug.serving import WSGIRequestHandler

# Paths whose last segment is a bearer secret (signed e-mail links, invitations).
SECRET_PREFIXES = (
    "/password/reset/",
    "/register/confirm/",
    "/account/emails/confirm/",
    "/invitation/",
)
_PREFIX = "(" + "|".join(re.escape(p) for p in SECRET_PREFIXES) + ")"
SECRET_SEGMENT = re.compile(rf"^{_PREFIX}[^/?]+")
# The same segments and any query string, anywhere in a free text (an error message).
SECRET_SEGMENT_IN_TEXT = re.compile(rf"{_PREFIX}[^/?#\s'\"]+")
QUERY_IN_TEXT = re.compile(r"\?[^\s'\"]+")
URL_PREFIX = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*")


def redact(path: str) -> str:
    """`/password/reset/abc?x=1` → `/password/reset/…?…`: no token, no query string."""
    path, has_query, _query = path.partition("?")
    path = SECRET_SEGMENT.sub(r"\1…", path)
    return path + ("?…" if has_query else "")


def redact_url(url: str) -> str:
    """A URL (a Referer) or a path: `https://h/invitation/abc?x` → `https://h/invitation/…?…`."""
    prefix = URL_PREFIX.match(url)
    start = prefix.end() if prefix else 0
    rest, has_fragment, _fragment = url[start:].partition("#")
    return url[:start] + redact(rest) + ("#…" if has_fragment else "")


def redact_text(text: str) -> str:
    """Link tokens and query strings blanked wherever they are in a message."""
    if "/" not in text and "?" not in text:
        return text
    return QUERY_IN_TEXT.sub("?…", SECRET_SEGMENT_IN_TEXT.sub(r"\1…", text))


class RedactingFilter(logging.Filter):
    """Redacts a logger's records: arguments, a preformatted message, the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redact_text(a) if isinstance(a, str) else a for a in record.args)
        elif not record.args and isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return True


class RedactingRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called once the application has run: the environ no longer needs the real path.
        self.path = redact_url(self.path)
        self.requestline = " ".join(
            redact_url(part) if part.startswith("/") or "://" in part else part
            for part in self.requestline.split(" ")
        )
        super().log_request(code, size)
