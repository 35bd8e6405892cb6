"""Bounds of every protocol parameter Compte reads, checked before any of them reaches
Authlib or the database (plain functions, no Flask).

PostgreSQL refuses NUL in text, cannot store a lone surrogate (JSON bodies and JWT claims
can carry one) and refuses a value longer than its column: without these bounds such
input became a 500 deep in a query. The limits are the column sizes of idp/oidc/models.py
where the value is stored, and generous multiples of what a real client sends elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The longest value each parameter may have (characters).
MAX_LENGTH: dict[str, int] = {
    # Stored: the column sizes of idp/oidc/models.py.
    "client_id": 64,
    "nonce": 255,
    "redirect_uri": 500,
    "post_logout_redirect_uri": 500,
    "code_challenge": 128,
    "code_challenge_method": 8,
    "response_type": 32,
    # Compared or parsed only: well above any genuine value.
    "state": 500,
    "client_secret": 255,
    "scope": 1000,
    "response_mode": 32,
    "prompt": 64,
    "max_age": 10,
    "display": 16,
    "login_hint": 320,
    "logout_hint": 320,
    "acr_values": 255,
    "ui_locales": 255,
    "claims_locales": 255,
    "claims": 4096,
    "id_token_hint": 8192,
    "grant_type": 128,
    "code": 128,
    "code_verifier": 128,
    "refresh_token": 512,
    # Revocation, introspection and userinfo also take RFC 9068 JWT access tokens.
    "token": 4096,
    "access_token": 4096,
    "token_type_hint": 32,
    "client_assertion": 8192,
    "client_assertion_type": 128,
}
# The claims of a client assertion that Compte reads (RFC 7523): sub and iss name the
# client, jti goes to the replay table (oauth_used_jti.jti is 255 characters).
ASSERTION_CLAIM_LENGTH: dict[str, int] = {"sub": 64, "iss": 64, "jti": 255}
# Parameters whose value is JSON: pretty-printed JSON may hold tabs and line breaks.
JSON_PARAMETERS = frozenset({"claims"})
# How deeply their objects and arrays may nest (a claims request needs 5: its members,
# a claim's request, its `values`, one structured value): deeper is no genuine request,
# and nesting in the thousands exhausts the JSON decoder's recursion (a 500).
MAX_JSON_DEPTH = 8
# RFC 7636 4.1/4.2: 43 to 128 unreserved characters. fullmatch, never `$`, which also
# matches before a final line break (Authlib's pattern lets "…\n" through).
PKCE_VALUE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
PKCE_PARAMETERS = frozenset({"code_challenge", "code_verifier"})

_NEVER = re.compile(r"[\x00\ud800-\udfff]")  # NUL and lone surrogates: nowhere, ever
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_JSON = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Violation:
    """A parameter out of bounds: its name and why, in ASCII (an OAuth error_description
    allows nothing else)."""

    name: str
    reason: str

    @property
    def description(self) -> str:
        return f"Invalid '{_printable(self.name)}': {self.reason}."


def _printable(name: str) -> str:
    return "".join(c for c in name[:40] if " " <= c <= "~" and c not in "\"'\\") or "?"


def problem(name: str, value: Any) -> str | None:
    """Why `value` is not acceptable for the parameter `name`, or None."""
    if not isinstance(value, str):
        return "must be a string"
    limit = MAX_LENGTH.get(name)
    if limit is None:  # a parameter Compte ignores: only what nothing may ever hold
        return "forbidden character" if _NEVER.search(value) else None
    if len(value) > limit:
        return f"longer than {limit} characters"
    control = _CONTROL_IN_JSON if name in JSON_PARAMETERS else _CONTROL
    if control.search(value):
        return "forbidden character"
    if name in PKCE_PARAMETERS and value and not PKCE_VALUE.fullmatch(value):
        return "must be 43 to 128 characters among A-Z a-z 0-9 - . _ ~"
    if name in JSON_PARAMETERS and value:
        return _json_problem(value)
    return None


def _json_problem(value: str) -> str | None:
    try:
        data = json.loads(value)
    except ValueError:
        return "not valid JSON"
    except RecursionError:
        return "nested too deeply"
    if not isinstance(data, dict):
        return "must be a JSON object"
    if json_depth(data) > MAX_JSON_DEPTH:
        return "nested too deeply"
    if not clean_json(data):
        return "forbidden character"
    return None


def json_depth(data: Any) -> int:
    """How many objects and arrays nest in `data` at its deepest (0 for a plain value).
    Without recursion: the decoder may have just let through a nesting near its limit."""
    deepest, pending = 0, [(data, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            pending.extend((inner, depth + 1) for inner in _inside(item))
    return deepest


def _inside(item: dict | list) -> Iterable[Any]:
    return item.values() if isinstance(item, dict) else item


def clean_json(data: Any) -> bool:
    """True when no key or string inside `data` holds a NUL or a lone surrogate (a JSON
    text may escape both, as \\u0000 and \\udc80)."""
    if isinstance(data, str):
        return not _NEVER.search(data)
    if isinstance(data, dict):
        return all(clean_json(key) and clean_json(value) for key, value in data.items())
    if isinstance(data, list):
        return all(clean_json(item) for item in data)
    return True


def first_violation(params: Iterable[tuple[str, Any]]) -> Violation | None:
    """The first parameter (name, value) out of bounds, or None."""
    for name, value in params:
        if _NEVER.search(name):
            return Violation("?", "forbidden character in a parameter name")
        if reason := problem(name, value):
            return Violation(name, reason)
    return None


def valid_client_id(value: Any) -> bool:
    """A client_id that may be looked up: a string of 1 to 64 plain characters."""
    return isinstance(value, str) and bool(value) and problem("client_id", value) is None


def assertion_claim_problem(claims: dict) -> Violation | None:
    """The claim of a client assertion Compte reads (sub, iss, jti) that is not a bounded
    string without control characters, or None (absent claims are Authlib's to refuse)."""
    for name, limit in ASSERTION_CLAIM_LENGTH.items():
        if name not in claims:
            continue
        value = claims[name]
        if not isinstance(value, str):
            return Violation(name, "must be a string")
        if not value or len(value) > limit:
            return Violation(name, f"must have 1 to {limit} characters")
        if _CONTROL.search(value):
            return Violation(name, "forbidden character")
    return None
