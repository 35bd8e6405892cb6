"""What every page shares: template globals, security headers, error pages."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    @app.context_processor
    def site_context() -> dict:
        return {
            "site": {
                "organisation": app.config["ORGANISATION_NAME"],
                "service": app.config["SERVICE_NAME"],
                "support_phone": app.config["SUPPORT_PHONE"],
                "support_hours": app.config["SUPPORT_HOURS"],
                "support_email": app.config["SUPPORT_EMAIL"],
                "preset": app.config["PRESET"],
                "mailbox_page": app.config["MAILBOX_PAGE"],
            },
            "current_locale": str(get_locale() or "fr"),
        }

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self'; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        if request.path.startswith(("/account", "/admin", "/login", "/register")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.accept_mimetypes.best == "application/json" or request.path.startswith(
            ("/oauth", "/api", "/userinfo", "/launcher/api")
        ):
            return {
                "error": error.name.lower().replace(" ", "_"),
                "error_description": error.description,
            }, error.code
        return render_template("errors/http.html", error=error), error.code
