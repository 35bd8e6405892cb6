"""Applies the bounds of idp/oidc/bounds.py to each protocol endpoint before anything else
reads the request, and answers with that endpoint's own error.

    guard.protect(app, "oidc.token", guard.client_error, header="basic")

The hook runs first among the app's before_request hooks: ahead of the site-wide NUL
filter of idp/web.py (whose plain 400 `bad_request` is no OAuth error code), of CSRF and
of the rate limiter. It costs a scan of the parameters and reads nothing from the database.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from urllib.parse import unquote

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import InvalidClientMetadataError
from flask import Flask, Response, current_app, request

from idp.oidc.bounds import Violation, clean_json, first_violation, problem

# (violation, where it was found: "basic", "bearer", "params" or "json") -> response
Answer = Callable[[Violation, str], Response]
EXTENSION_KEY = "compte.bounds"
# The parameters that authenticate a client: out of bounds, they are a failed client
# authentication (invalid_client), not a malformed request.
CLIENT_CREDENTIALS = frozenset(
    {"client_id", "client_secret", "client_assertion", "client_assertion_type"}
)


def protect(app: Flask, endpoint: str, answer: Answer, header: str | None = None) -> None:
    """Check every request to `endpoint` (and its Authorization header when `header` is
    "basic" or "bearer": the credentials that endpoint reads)."""
    rules = app.extensions.get(EXTENSION_KEY)
    if rules is None:
        rules = app.extensions[EXTENSION_KEY] = {}
        app.before_request_funcs.setdefault(None, []).insert(0, _check_request)
    rules[endpoint] = (answer, header)


def _check_request() -> Response | None:
    rule = current_app.extensions[EXTENSION_KEY].get(request.endpoint)
    if rule is None:
        return None
    answer, header = rule
    found = violation_in_request(header)
    return answer(*found) if found else None


def violation_in_request(header: str | None = None) -> tuple[Violation, str] | None:
    """The first parameter of the current request out of bounds and where it was found."""
    # Split as Authlib does (any whitespace), so that both read the same credentials.
    authorization = request.headers.get("Authorization", "")
    parts = authorization.split(None, 1)
    kind = parts[0].lower() if parts else ""
    credentials = parts[1].strip() if len(parts) == 2 else ""
    if header == "basic" and " " in authorization and len(parts) != 2:
        # "Bearer ", "x " or "  ": Authlib's client authentication fails to unpack it.
        return Violation("client_id", "malformed Authorization header"), "basic"
    if header == kind == "basic" and (violation := _basic_violation(credentials)):
        return violation, "basic"
    if header == kind == "bearer" and (reason := problem("access_token", credentials)):
        return Violation("access_token", reason), "bearer"
    params = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if violation := first_violation(params):
        return violation, "params"
    if request.is_json and not clean_json(request.get_json(silent=True)):
        return Violation("body", "forbidden character"), "json"
    return None


def _basic_violation(credentials: str) -> Violation | None:
    # Empty ("Basic " makes Authlib fail to unpack it), not base64 or not UTF-8 once
    # decoded (Authlib would raise): a failed client authentication.
    if not credentials:
        return Violation("client_id", "malformed Basic credentials")
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return Violation("client_id", "malformed Basic credentials")
    client_id, _, secret = decoded.partition(":")
    # Authlib percent-decodes both (RFC 6749 2.3.1): check what it would look up.
    return first_violation([("client_id", unquote(client_id)), ("client_secret", unquote(secret))])


def oauth_response(error: OAuth2Error) -> Response:
    """The RFC 6749 JSON error response (status, body, WWW-Authenticate if any)."""
    status, body, headers = error()  # headers: JSON, no-store (Authlib's defaults)
    return Response(json.dumps(body), status=status, headers=headers)


def client_error(violation: Violation, source: str) -> Response:
    """Token, revocation, introspection: bad client credentials are invalid_client (401
    with a Basic challenge when they came in the Authorization header, RFC 6749 5.2)."""
    if source == "basic":
        return oauth_response(InvalidClientError(violation.description, status_code=401))
    if violation.name in CLIENT_CREDENTIALS:
        return oauth_response(InvalidClientError(violation.description))
    return oauth_response(InvalidRequestError(violation.description))


def resource_error(violation: Violation, source: str) -> Response:
    """Userinfo: a malformed access token is invalid_token (RFC 6750 3.1)."""
    if violation.name == "access_token":
        return oauth_response(InvalidTokenError(violation.description, realm="compte"))
    return oauth_response(InvalidRequestError(violation.description))


def registration_error(violation: Violation, source: str) -> Response:
    """Registration (RFC 7591 3.2.2, RFC 7592): bad metadata is invalid_client_metadata."""
    if source == "bearer":
        return oauth_response(InvalidTokenError(violation.description, realm="compte"))
    return oauth_response(InvalidClientMetadataError(violation.description))
