"""What every page shares: template globals, security headers, error pages."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Flask,
    abort,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from idp import outage
from idp.accounts import form_limits
from idp.accounts.redirects import is_safe_next, safe_next
from idp.core.headers import security_header_list
from idp.core.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE, LANGUAGES, forget_ui_locales
from idp.core.sql_errors import is_outage
from idp.core.urls import MACHINE_PATHS


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
            "language_url": language_url,
            # The header's "Se connecter" / "Créer un compte" keep the service the person
            # is going to, as the page's own links do (never an unsafe `next`).
            "carried_next": safe_next(request.args.get("next")) if has_request_context() else None,
        }

    def language_url(code: str) -> str:
        """The switch's link to `code` for this very page: its path and query, less a
        `next` that would not be safe to follow (never echoed into the page) and less a
        service's `ui_locales` (the person's choice wins over it from then on)."""
        args = [
            (key, value)
            for key, value in request.args.items(multi=True)
            if key != "ui_locales" and (key != "next" or safe_next(value))
        ]
        here = request.path + ("?" + urlencode(args) if args else "")
        return url_for("language", code=code, next=here)

    @app.before_request
    def refuse_nul_bytes():
        # No text field anywhere accepts NUL, and PostgreSQL refuses it in text columns:
        # answer a clear 400 once here rather than a database error deep in a view.
        for values in (request.args, request.form):  # form: empty unless a form was posted
            for key, value in values.items(multi=True):
                if "\x00" in key or "\x00" in value:
                    abort(400, description=_("La demande contient un caractère interdit."))
        # Flask-WTF also reads JSON bodies as form data.
        if request.is_json and b"\\u0000" in request.get_data(cache=True):
            abort(400, description=_("La demande contient un caractère interdit."))
        if "\x00" in request.path:
            abort(400, description=_("La demande contient un caractère interdit."))

    @app.after_request
    def security_headers(response):
        # A service's logo on the login and registration pages (accounts/views/going_to.py).
        for name, value in security_header_list(g.get("image_origins", ())):
            response.headers.setdefault(name, value)
        if request.path.startswith(("/account", "/admin", "/login", "/register")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/language/<code>")
    def language(code: str):
        """The "Français / English" switch: remember the choice, back to the same page.
        A plain link (works without JavaScript); `next` may only be a path on Compte."""
        if code not in LANGUAGES:
            abort(404)
        target = request.args.get("next", "")
        if not (target.startswith("/") and is_safe_next(target)):
            target = "/"
        forget_ui_locales()
        response = redirect(request.script_root + target)
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=LANGUAGE_COOKIE_MAX_AGE,
            path=request.script_root or "/",
            secure=request.is_secure or bool(app.config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
        return response

    @app.get("/favicon.ico")
    def favicon():
        return redirect(url_for("static", filename="favicon.svg"), code=301)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if hasattr(error, "body") and hasattr(error, "get_headers"):
            # Authlib's OAuth errors: keep the RFC 6750 JSON body and WWW-Authenticate.
            return error.get_response()
        original = getattr(error, "original_exception", None)
        if original is not None and is_outage(original):
            # The database went out while another error page was being made.
            return outage.unavailable_response(original)
        headers, wait = {}, 0
        if isinstance(error, RateLimitExceeded):
            if error.response is not None:
                return error.response  # the form itself, paused (its on_breach made it)
            wait = form_limits.limiter_wait()
            headers["Retry-After"] = str(wait)
        if request.accept_mimetypes.best == "application/json" or request.path.startswith(
            MACHINE_PATHS
        ):
            body = {
                "error": error.name.lower().replace(" ", "_"),
                "error_description": error.description,
            }
            return body, error.code, headers
        retry = form_limits.retry_in(wait) if wait else ""
        page = render_template("errors/http.html", error=error, retry=retry)
        return page, error.code, headers
