"""HTTP Strict Transport Security: with an https ISSUER, every answer (Flask's pages, the
prepared discovery and JWKS documents, the operator endpoints, error pages) tells the
browser to use https only, for HSTS_MAX_AGE seconds. Never over an http issuer: a browser
would then refuse the plain-http site it is using.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

HEADER = "Strict-Transport-Security"


def header_value(config: Mapping[str, Any]) -> str | None:
    """The header's value for these settings, or None when it must not be sent."""
    max_age = int(config["HSTS_MAX_AGE"] or 0)
    if not str(config["ISSUER"]).startswith("https://") or max_age <= 0:
        return None
    value = f"max-age={max_age}"
    return value + "; includeSubDomains" if config["HSTS_INCLUDE_SUBDOMAINS"] else value


class StrictTransportSecurity:
    """WSGI middleware adding the header to every answer that does not set it already."""

    def __init__(self, wsgi_app: Callable, value: str) -> None:
        self.wsgi_app = wsgi_app
        self.value = value

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def with_header(status: str, headers: list, exc_info: Any = None) -> Callable:
            if not any(name.lower() == "strict-transport-security" for name, _ in headers):
                headers = [*headers, (HEADER, self.value)]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, with_header)


def install(app: Any) -> None:
    """Wrap the app when the settings ask for the header."""
    value = header_value(app.config)
    if value is not None:
        app.wsgi_app = StrictTransportSecurity(app.wsgi_app, value)
