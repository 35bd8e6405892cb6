"""When the database is out: a clear 503 with Retry-After instead of a server error.

Discovery and JWKS keep being served from memory (idp/oidc/prepared.py, idp/oidc/keys.py);
every other page needs the database, so it says plainly that the service is briefly
unavailable and when to try again. The page is rendered without the database (no
signed-in person, no menu that would look one up)."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from idp.core.extensions import db
from idp.core.sql_errors import is_outage
from idp.core.urls import MACHINE_PATHS

log = logging.getLogger(__name__)
RETRY_AFTER = "30"


def unavailable_response(error: SQLAlchemyError):
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    log.error("database unavailable: %s", type(getattr(error, "orig", error)).__name__)
    headers = {"Retry-After": RETRY_AFTER, "Cache-Control": "no-store"}
    best = request.accept_mimetypes.best
    # A browser sent to a protocol path (/oauth/authorize, logout) gets the page too.
    if best == "application/json" or (
        request.path.startswith(MACHINE_PATHS) and best != "text/html"
    ):
        body = {
            "error": "temporarily_unavailable",
            "error_description": "The service is briefly unavailable; try again shortly.",
        }
        return body, 503, headers
    # Render as for a visitor: Flask-Login's context processor would otherwise look the
    # signed-in person up in the database again, and fail inside this handler (a bare 500).
    current_app.login_manager._update_request_context_with_user()
    return render_template("errors/unavailable.html", retry_after=RETRY_AFTER), 503, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(SQLAlchemyError)
    def database_error(error: SQLAlchemyError):
        if is_outage(error):
            return unavailable_response(error)
        raise error  # a real bug: the usual 500 handling, logged with its trace
