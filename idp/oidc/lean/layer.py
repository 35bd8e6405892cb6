"""The WSGI layer of the lean path: reads a request just enough to know whether it is a
plain one (idp.oidc.lean.request), asks idp.oidc.lean.answers for an answer, and hands
everything else, body intact, to the full path."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from idp.core.headers import security_header_list
from idp.core.metrics import ENDPOINT_KEY
from idp.oidc.lean import answers
from idp.oidc.lean.request import PlainRequest
from idp.oidc.lean.store import Store

log = logging.getLogger(__name__)

ROUTES: dict[tuple[str, str], tuple[str, Callable[..., Any]]] = {
    ("GET", "/oauth/userinfo"): ("oidc.userinfo", answers.userinfo),
    ("POST", "/oauth/userinfo"): ("oidc.userinfo", answers.userinfo),
    ("POST", "/oauth/introspect"): ("oidc.introspect", answers.introspection),
    ("POST", "/oauth/token"): ("oidc.token", answers.token),
}


class LeanProtocol:
    """WSGI middleware: plain protocol requests answered here, the rest passed on."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.store = Store(app)
        self.headers = [
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            ("Pragma", "no-cache"),
            *security_header_list(),
            ("Access-Control-Allow-Origin", "*"),
        ]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        route = ROUTES.get((environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")))
        if route is not None:
            endpoint, answer_for = route
            body = self._answer(answer_for, environ)
            if body is not None:
                environ[ENDPOINT_KEY] = endpoint  # counted like the full path's answers
                headers = [*self.headers, ("Content-Length", str(len(body)))]
                start_response("200 OK", headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def _answer(self, answer_for: Callable[..., Any], environ: dict[str, Any]) -> bytes | None:
        request = PlainRequest(environ)
        if request.form is None:
            return None
        try:
            with self.app.app_context():
                answer = answer_for(request, self.store, self.app)
        except (psycopg.Error, SQLAlchemyError) as error:
            # The full path answers instead, with its own handling of an outage.
            log.warning("lean path: %s; the full path answers", type(error).__name__)
            return None
        if answer is None:
            return None
        return answer if isinstance(answer, bytes) else json.dumps(answer, sort_keys=True).encode()
