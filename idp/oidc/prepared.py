"""Discovery and JWKS answered before Flask's request pipeline.

These two public documents are fetched by every relying party and cache; serving their
prepared bytes from a thin WSGI layer skips the limiter, session and login hooks (measured
in docs/benchmarks.md: about half the CPU per request). The Flask routes in views.py stay
for everything else (other methods, url_for)."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from idp.oidc.keys import CACHE_KEY, JWKS_MAX_AGE, keyring

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/oauth/jwks"
HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Access-Control-Allow-Origin", "*"),
]


class PreparedDocuments:
    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def _document(self, path: str) -> tuple[bytes, str, int]:
        if path == DISCOVERY_PATH:
            prepared = self.app.extensions["compte.discovery"]
            return prepared.body, prepared.etag, 3600
        ring = self.app.extensions.get(CACHE_KEY)
        interval = float(self.app.config["OIDC_KEYS_CHECK_INTERVAL"])
        now = time.monotonic()
        if ring is None or now - ring.checked_at >= interval or now >= ring.next_expiry:
            with self.app.app_context():  # the same cheap re-check as keyring()'s callers
                ring = keyring()  # keeps the known keys while the database is out
        return ring.jwks_bytes, ring.etag, JWKS_MAX_AGE

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if path not in (DISCOVERY_PATH, JWKS_PATH) or method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        try:
            body, etag, max_age = self._document(path)
        except SQLAlchemyError:
            # No keys known yet and the database is out: say so, never a bare 500.
            self.app.logger.warning("JWKS unavailable: database unreachable")
            start_response(
                "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Retry-After", "30"), *HEADERS],
            )
            return [b'{"error":"temporarily_unavailable"}']
        headers = [("ETag", f'"{etag}"'), ("Cache-Control", f"public, max-age={max_age}")]
        headers += HEADERS
        if f'"{etag}"' in environ.get("HTTP_IF_NONE_MATCH", ""):
            start_response("304 Not Modified", headers)
            return [b""]
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [b""] if method == "HEAD" else [body]


def install(app: Flask) -> None:
    app.wsgi_app = PreparedDocuments(app, app.wsgi_app)  # type: ignore[method-assign]
