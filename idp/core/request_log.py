"""Logs without secrets: e-mail link tokens live in paths and tokens or hints in query
strings, so those are blanked before anything is logged: the access log of `compte serve`
(here), of `compte run` (idp/operations.py, `access_entry`), of gunicorn
(idp/gunicorn_log.py, same `redact`), and the app's own log,
Flask's "Exception on <path>" error line and its traceback included (`RedactingFilter`,
installed by create_app)."""

from __future__ import annotations

import logging
import re
import time

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
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
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


def access_entry(environ: dict, status: str, size: str | None, seconds: float, now: float) -> str:
    """One access-log line (the combined format, then the duration in ms), redacted: no
    link token, query string or fragment, in the request line or the Referer. Control
    characters are escaped: the path is percent-decoded, and a `%0A` in it must not
    start a forged line."""
    method = environ.get("REQUEST_METHOD", "-")
    path = environ.get("PATH_INFO", "")
    if environ.get("QUERY_STRING"):
        path += "?…"
    referer = environ.get("HTTP_REFERER")
    agent = environ.get("HTTP_USER_AGENT")
    line = (
        f"{environ.get('REMOTE_ADDR') or '-'} - - [{_log_time(now)}]"
        f' "{method} {redact(path)} {environ.get("SERVER_PROTOCOL", "-")}" {status} {size or "-"}'
        f' "{redact_url(referer) if referer else "-"}"'
        f' "{redact_text(agent).replace(chr(34), chr(39)) if agent else "-"}" {seconds * 1000:.1f}'
    )
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", line)


def _log_time(now: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(now))


class RedactingRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called once the application has run: the environ no longer needs the real path.
        self.path = redact_url(self.path)
        self.requestline = " ".join(
            redact_url(part) if part.startswith("/") or "://" in part else part
            for part in self.requestline.split(" ")
        )
        super().log_request(code, size)
