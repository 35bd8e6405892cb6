"""Which service the person is going to, for the headings of the login and registration
pages ("Pour accéder à Formadist, connectez-vous"), with the service's logo when it has one.

Only from a safe return address that is an authorization request of a known client (the
OpenID Provider answers `requesting_service`, idp/accounts/signals.py): never from a name or
a logo in a parameter."""

from __future__ import annotations

from typing import Any

from flask import g

from idp.accounts import signals
from idp.accounts.redirects import origin_of, safe_next
from idp.accounts.views.blueprint import bp
from idp.core.signals import first_answer


def _logo(logo_uri: str | None) -> str | None:
    """A logo the page may show: a path on Compte or an http(s) address, whose origin the
    page's Content-Security-Policy then allows for images (idp/web.py reads `g`)."""
    if not logo_uri:
        return None
    if logo_uri.startswith("/") and not logo_uri.startswith("//"):
        return logo_uri
    origin = origin_of(logo_uri)
    if origin is None:
        return None
    g.image_origins = {*g.get("image_origins", ()), origin}
    return logo_uri


@bp.app_template_global()
def service_going_to(next_url: str | None) -> dict[str, Any] | None:
    """{"name", "logo", "back"} of the service behind `next_url`, or None; "back" cancels
    the request and returns to the service (None when the request names no redirect URI)."""
    url = safe_next(next_url)
    if not url:
        return None
    found = first_answer(signals.requesting_service, next_url=url)
    if not found or not found.get("name"):
        return None
    return {"name": found["name"], "logo": _logo(found.get("logo_uri")), "back": found.get("back")}
