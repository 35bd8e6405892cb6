"""The lean path: userinfo, introspection and the token endpoint's client_credentials and
refresh_token grants answered before Flask, on PostgreSQL.

Relying parties call these endpoints on every request they serve; through Flask, Authlib
and the ORM each call cost 4–11 ms of CPU, ten times the work it needs (docs/benchmarks.md).
Here a request that is plainly well formed is answered with one SQL statement (one round
trip, no `BEGIN`/`ROLLBACK`, no ping) by the same rules: `idp.oidc.validity` decides
whether a token is usable, `idp.oidc.tokens` generates and describes tokens,
`idp.oidc.claims` builds the userinfo answer, `idp.audit.event_row` the audit event.

Anything else goes on to the full path unchanged: every error (an unknown or expired
token, a wrong secret, a reused refresh token, a missing parameter), every unusual request
(JSON, duplicated parameters, a scope to narrow, private_key_jwt) and every request when
the database fails here. The full path then answers it as it always has, so errors have
one definition too; `tests/oidc/test_lean_path.py` sends the same requests both ways and
compares the answers.

Switched by `OIDC_LEAN_PATH` (on by default); only on PostgreSQL, the production
database (on SQLite every request takes the full path).
"""

from __future__ import annotations

from flask import Flask

from idp.oidc.lean.layer import LeanProtocol

EXTENSION_KEY = "compte.lean"


def install(app: Flask) -> None:
    """Answer the protocol endpoints' plain requests in front of Flask, when switched on
    and on PostgreSQL."""
    if not app.config["OIDC_LEAN_PATH"]:
        return
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        return
    layer = LeanProtocol(app, app.wsgi_app)
    app.extensions[EXTENSION_KEY] = layer
    app.wsgi_app = layer  # type: ignore[method-assign]


def dispose(app: Flask) -> None:
    """Close the lean path's pooled connections (the app is going away)."""
    layer = app.extensions.get(EXTENSION_KEY)
    if layer is not None:
        layer.store.dispose()
