"""Variants of Compte that try a proposed performance fix without touching the product
code, so that scripts/bench can put a number on it before the fix is made:

    scripts/bench --app 'bench_variants:prepared_app()' --only discovery,jwks

`prepared_app()`: discovery and JWKS answered by a small WSGI middleware from the
prepared bytes, before Flask's request pipeline (limiter, session, login, hooks).
"""

from __future__ import annotations

import time

from flask import Flask

PATHS = ("/.well-known/openid-configuration", "/oauth/jwks")
SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Access-Control-Allow-Origin", "*"),
]


class PreparedDocuments:
    """GET/HEAD of the discovery document and of JWKS, from prepared bytes."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def _document(self, path: str) -> tuple[bytes, str, int]:
        if path == PATHS[0]:
            prepared = self.app.extensions["compte.discovery"]
            return prepared.body, prepared.etag, 3600
        from idp.oidc.keys import CACHE_KEY, keyring

        ring = self.app.extensions.get(CACHE_KEY)
        interval = float(self.app.config.get("OIDC_KEYS_CHECK_INTERVAL", 10))
        now = time.monotonic()
        if ring is None or now - ring.checked_at >= interval or now >= ring.next_expiry:
            with self.app.app_context():
                ring = keyring()
        return ring.jwks_bytes, ring.etag, 300

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path not in PATHS or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        body, etag, max_age = self._document(path)
        headers = [
            ("ETag", f'"{etag}"'),
            ("Cache-Control", f"public, max-age={max_age}"),
            *SECURITY_HEADERS,
        ]
        if f'"{etag}"' in environ.get("HTTP_IF_NONE_MATCH", ""):
            start_response("304 Not Modified", headers)
            return [b""]
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def prepared_app() -> Flask:
    from idp import create_app

    app = create_app()
    app.wsgi_app = PreparedDocuments(app, app.wsgi_app)
    return app
