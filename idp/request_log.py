"""The access log of `compte serve` without secrets: e-mail link tokens live in paths
and tokens or hints in query strings, so those are blanked before anything is logged."""

from __future__ import annotations

import re

from werkzeug.serving import WSGIRequestHandler

# Paths whose last segment is a bearer secret (signed e-mail links, invitations).
SECRET_SEGMENT = re.compile(
    r"^(/password/reset/|/register/confirm/|/account/emails/confirm/|/invitation/)[^/?]+"
)


def redact(path: str) -> str:
    """`/password/reset/abc?x=1` → `/password/reset/…?…`: no token, no query string."""
    path, has_query, _query = path.partition("?")
    path = SECRET_SEGMENT.sub(r"\1…", path)
    return path + ("?…" if has_query else "")


class RedactingRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called once the application has run: the environ no longer needs the real path.
        self.path = redact(self.path)
        self.requestline = " ".join(
            redact(part) if part.startswith("/") else part for part in self.requestline.split(" ")
        )
        super().log_request(code, size)
