"""The gunicorn logger of config/gunicorn.conf.py: its access log redacts exactly as
`compte serve` does (idp/core/request_log.py), and its error log keeps link tokens and query
strings out of "Error handling request <uri>", the other messages and tracebacks.

Every atom an access-log format can use that may hold the path is redacted: the request
line `r`, `U`, `q`, the Referer `f`, and each `{header}i`, `{header}o` and `{variable}e`;
credentials (Authorization, Cookie, Set-Cookie) and the bare query string are never
printed; environ values that are objects (the Werkzeug request, whose repr holds the URL)
are left out.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from idp.core.request_log import RedactingFilter, redact, redact_text, redact_url

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
SECRET_ENVIRON = frozenset(
    {"http_authorization", "http_proxy_authorization", "http_cookie", "query_string"}
)
URL_HEADERS = frozenset({"referer", "http_referer"})


def _redact_atom(key: str, value: Any) -> Any:
    """One `{name}i|o|e` atom, safe to print (None when it must not be printed)."""
    name, kind = key[1:-2], key[-1]
    if (kind in "io" and name in SECRET_HEADERS) or (kind == "e" and name in SECRET_ENVIRON):
        return "…"
    if isinstance(value, str):
        return redact_url(value) if name in URL_HEADERS else redact_text(value)
    return value if isinstance(value, int | float | bool) else None


def redact_atoms(atoms: dict[str, Any], environ: dict[str, Any]) -> dict[str, Any]:
    """Gunicorn's access-log atoms with every secret-bearing one redacted."""
    safe = dict(atoms)
    method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
    uri = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
    safe["r"] = f"{method} {redact_url(uri)} {protocol}"  # absolute-form URIs too
    safe["U"] = redact(environ.get("PATH_INFO", ""))
    safe["q"] = "…" if environ.get("QUERY_STRING") else ""
    referer = environ.get("HTTP_REFERER")
    safe["f"] = redact_url(referer) if referer else "-"
    for key in atoms:
        if key.startswith("{") and key[-2:] in ("}i", "}o", "}e"):
            value = _redact_atom(key, atoms[key])
            if value is None:
                del safe[key]  # printed as "-"
            else:
                safe[key] = value
    return safe


class RedactingLogger(Logger):
    """gunicorn's Logger, with the access atoms and the error log redacted."""

    def setup(self, cfg) -> None:
        super().setup(cfg)  # called again on reload: one filter is enough
        if not any(isinstance(f, RedactingFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time) -> dict[str, Any]:  # type: ignore[override]
        return redact_atoms(super().atoms(resp, req, environ, request_time), environ)
