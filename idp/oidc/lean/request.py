"""What the lean path reads of a request: a urlencoded form (read once and put back for
the full path), a bearer token, a client's credentials; anything unusual reads as None,
and the full path, whose guard (idp/oidc/guard.py) and Authlib give the precise error,
answers it."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from idp.oidc.bounds import valid_client_id

MAX_BODY = 8192
TOKEN_VALUE = re.compile(r"[A-Za-z0-9\-._~+/]{1,2048}=*")
SECRET_VALUE = re.compile(r"[\x21-\x7e]{1,512}")
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class ClientCredentials:
    """How a client authenticates in this request: method, client_id, secret."""

    method: str
    client_id: str
    secret: str | None


class PlainRequest:
    """What the lean path reads of one request (the form is read once and put back)."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.form = _read_form(environ) if environ["REQUEST_METHOD"] == "POST" else {}

    def token_value(self, name: str) -> str | None:
        value = (self.form or {}).get(name)
        return value if value is not None and TOKEN_VALUE.fullmatch(value) else None

    def bearer(self) -> str | None:
        """The token of `Authorization: Bearer …`, when that is the only credential."""
        scheme, _, value = self.environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or self.form is None or "access_token" in self.form:
            return None
        return value if TOKEN_VALUE.fullmatch(value) else None

    def client(self) -> ClientCredentials | None:
        """client_secret_basic, client_secret_post or a public client's client_id alone;
        None for anything else (private_key_jwt, two ways at once, odd values)."""
        form = self.form
        if form is None or "client_assertion" in form:
            return None
        header = self.environ.get("HTTP_AUTHORIZATION")
        if header is not None:
            if "client_id" in form or "client_secret" in form:
                return None
            scheme, _, encoded = header.partition(" ")
            if scheme.lower() != "basic":
                return None
            try:
                decoded = base64.b64decode(encoded, validate=True).decode("ascii")
            except ValueError:  # not base64 (binascii.Error), not ASCII (Unicode*Error)
                return None
            client_id, colon, secret = decoded.partition(":")
            found = ClientCredentials("client_secret_basic", unquote(client_id), unquote(secret))
            if not colon:
                return None
        elif "client_secret" in form:
            client_id, secret = form.get("client_id", ""), form["client_secret"]
            found = ClientCredentials("client_secret_post", client_id, secret)
        else:
            found = ClientCredentials("none", form.get("client_id", ""), None)
        if not valid_client_id(found.client_id):
            return None
        if found.secret is not None and not SECRET_VALUE.fullmatch(found.secret):
            return None
        return found

    def where(self) -> dict[str, str | None]:
        """The sender's address and browser, as the audit log records them."""
        return {
            "ip_address": self.environ.get("REMOTE_ADDR"),
            "user_agent": self.environ.get("HTTP_USER_AGENT", "")[:300],
        }


def _read_form(environ: dict[str, Any]) -> dict[str, str] | None:
    """The urlencoded body as a dict, or None when it is not a plain one. The body is put
    back in the environ, so the full path reads it as if nothing happened."""
    content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if not content_type and environ.get("CONTENT_LENGTH") in (None, "", "0"):
        return {}  # no body at all (a userinfo POST with its token in the header)
    if content_type != FORM_TYPE:
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 <= length <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return None
    form = dict(pairs)
    if len(form) != len(pairs):  # a repeated parameter: Authlib refuses it
        return None
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        return None
    return form
