"""Template context, security headers and error pages shared by the services."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlsplit

import requests
from flask import Flask, current_app, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from clients.common import auth, launcher

log = logging.getLogger(__name__)


def display_name(claims: dict) -> str:
    name = " ".join(p for p in (claims.get("given_name"), claims.get("family_name")) if p)
    return name or claims.get("name") or claims.get("email") or ""


def date_fr(value: object) -> str:
    """2026-03-02 (a date or an ISO string, e.g. the birthdate claim) -> 02/03/2026."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value)


def number_fr(value: int) -> str:
    """1840 -> "1 840" (narrow no-break space, as French typography wants)."""
    return f"{value:,}".replace(",", "\u202f")


def init_app(app: Flask) -> None:
    app.add_template_filter(date_fr)
    app.add_template_filter(number_fr)

    @app.context_processor
    def service_context() -> dict:
        login = auth.current_login()
        return {
            "service": {
                "name": current_app.config["SERVICE_NAME"],
                "slug": current_app.config["SERVICE_SLUG"],
                "home": current_app.config["HOME_ENDPOINT"],
                "compte": current_app.config["ISSUER"],
            },
            "login": login,
            "person": display_name(login.claims) if login else "",
            "launcher_menu": launcher.menu,
        }

    @app.before_request
    def canonical_address():
        """A page asked at another name of this very server (localhost:5001 for
        127.0.0.1:5001: same port, other host) is sent to BASE_URL first: Compte comes back
        to the redirect URI registered on BASE_URL, where the session cookie holding the
        login's state must already be (cookies are per host name)."""
        base = urlsplit(current_app.config["BASE_URL"])
        asked = urlsplit(f"//{request.host}")
        if (
            request.method in ("GET", "HEAD")
            and asked.port == base.port
            and asked.hostname != base.hostname
        ):
            query = f"?{request.query_string.decode()}" if request.query_string else ""
            return redirect(f"{base.scheme}://{base.netloc}{request.path}{query}")
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "rp.frontchannel_logout":
            # Compte's origin: the menu's icons and its launcher widget (launcher/widget.js).
            issuer = current_app.config["ISSUER"]
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault(
                "Content-Security-Policy",
                f"default-src 'self'; img-src 'self' data: {issuer}; "
                f"style-src 'self'; script-src 'self' {issuer}; frame-ancestors 'none'",
            )
        if auth.current_login() is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("common/error.html", code=400, message=None), 400

    @app.errorhandler(requests.RequestException)
    def compte_unreachable(error: requests.RequestException):
        log.warning("Compte unreachable: %s", error)
        return render_template("common/error.html", code=503, message=None), 503

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_template("common/error.html", code=error.code, message=None), error.code
