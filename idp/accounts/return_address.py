"""The way back to a service across a mail link (confirmation, password reset).

A person who starts from a service has a return address: the pending authorization request
(`/oauth/authorize?…`, whose `state` the service keeps in *this* browser, and behind which
the service keeps its own deep link, e.g. Formadist's `/invitation?formation=…`). Such a
request is too long for a mail link (SMTP lines, see CONFIRMATION_LINK_MAX_LENGTH), and
replaying it in another browser only meets a `state` the service does not know there.

So the exact address stays in the browser that started, in a signed, HttpOnly cookie
under a random reference; the signed link carries that reference plus a short fallback
(the address itself when short enough, else the service's home page, which signs the
person in at once in any browser). Opening the link in the same browser, even after the
session has expired, goes back to the exact request; elsewhere, to the fallback. Both are
checked again by `safe_next` when used: never an open redirect.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from flask import Response, after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from idp.accounts import signals
from idp.accounts.redirects import safe_next
from idp.core.signals import answers

# One address at a time: a later start (another service) replaces the earlier one, whose
# link then falls back to what it carries itself.
AUTHORIZE_PATH = "/oauth/authorize"


def cookie_name() -> str:
    """Host-only and Secure under https, like the session cookie."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    return "__Host-compte_return" if secure else "compte_return"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="compte.return-address")


def keep(next_url: str | None, lifetime: int) -> str | None:
    """Remember `next_url` (when safe) in this browser for `lifetime` seconds, the life of
    the link about to be mailed; returns the reference the link carries, or None."""
    url = safe_next(next_url)
    if not url:
        return None
    ref = secrets.token_urlsafe(16)
    value = _serializer().dumps({"r": ref, "u": url})

    @after_this_request
    def _set(response: Response) -> Response:
        response.set_cookie(
            cookie_name(),
            value,
            max_age=lifetime,
            path="/",
            secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
            httponly=True,
            samesite="Lax",  # sent when the link is opened from a mail (top-level GET)
        )
        return response

    return ref


def recall(ref: object, lifetime: int) -> str | None:
    """The exact address kept in this browser under `ref` (from a genuine link), or None."""
    if not isinstance(ref, str) or not ref:
        return None
    raw = request.cookies.get(cookie_name())
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=lifetime)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not secrets.compare_digest(str(data.get("r")), ref):
        return None
    return safe_next(data.get("u"))


def from_link(data: dict, lifetime: int) -> str | None:
    """Where a genuine link (its signed payload) sends the person after login: the exact
    address when this browser kept it, else the link's own fallback."""
    return recall(data.get("r"), lifetime) or safe_next(data.get("n"))


def service_home(next_url: str) -> str | None:
    """For an authorization request, the launcher page of its client: going there after
    login signs the person in at once, in any browser (never a stale `state`)."""
    parts = urlsplit(next_url)
    if not parts.path.endswith(AUTHORIZE_PATH):  # under a prefix when Compte is mounted so
        return None
    client_id = (parse_qs(parts.query).get("client_id") or [""])[0]
    for found in answers(signals.services_opened, account=None):
        for entry in found:
            if entry.client_id == client_id:
                return safe_next(entry.url)
    return None


def link_payload(
    data: dict, next_url: str | None, ref: str | None, fits: Callable[[dict], bool]
) -> dict:
    """`data` plus the way back: the reference `r`, and as `n` the address whole when the
    link `fits`, else its service's home page, else nothing."""
    payload = {**data, "r": ref} if ref else dict(data)
    next_url = safe_next(next_url)
    for candidate in (next_url, next_url and service_home(next_url)):
        if candidate and fits({**payload, "n": candidate}):
            return {**payload, "n": candidate}
    return payload
