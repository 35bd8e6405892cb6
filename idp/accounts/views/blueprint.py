"""The accounts blueprint ("accounts"), on which each route module of this package adds
its pages; idp/accounts/views/__init__.py imports them and registers it."""

from __future__ import annotations

from flask import Blueprint, Response, request

bp = Blueprint("accounts", __name__)


@bp.after_request
def no_store(response: Response) -> Response:
    """Every page of this area shows personal data or a form with a secret link in its URL
    (reset, confirmation): no browser or proxy cache keeps it. The terms text may be kept."""
    if request.endpoint != "accounts.terms":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
