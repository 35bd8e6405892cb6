"""The federation's blueprint and what its pages share: the rate limit of the login page,
the one error page (templates/federation/error.html, audited as `federation.failed` with
the provider and a reason code), and finding an enabled provider by name."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_limiter import RequestLimit

from idp import audit
from idp.accounts.redirects import safe_next
from idp.core.extensions import db
from idp.federation import providers
from idp.federation.errors import FederationError
from idp.federation.models import UpstreamProvider

log = logging.getLogger(__name__)

bp = Blueprint("federation", __name__)


def rate_limit() -> str:
    """The login page's limit (LOGIN_RATE_LIMIT): a ceiling only a robot reaches."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def too_many(limit: RequestLimit) -> Response:
    # A flood from one address: no audit event per request (it would flood the log too).
    return error_page(FederationError("rate_limited"), audited=False)


def enabled_provider(name: str) -> UpstreamProvider:
    provider = providers.get(name)
    if provider is None:
        raise FederationError("provider_unknown", name[:64])
    if not provider.enabled:
        raise FederationError("provider_disabled", name)
    return provider


def error_page(
    error: FederationError,
    provider: UpstreamProvider | str | None = None,
    next_url: str | None = None,
    *,
    audited: bool = True,
) -> Response:
    """What happened in plain words, and the ways back (the login page, the provider
    again when it is enabled); audited."""
    name = provider.name if isinstance(provider, UpstreamProvider) else provider
    log.warning("upstream sign-in through %s failed: %s", name, error)
    if audited:
        db.session.rollback()  # nothing half-done goes in with the event
        audit.record("federation.failed", provider=name, reason=error.reason)
        db.session.commit()
    enabled = isinstance(provider, UpstreamProvider) and provider.enabled
    page = render_template(
        "federation/error.html",
        error=error,
        label=provider.label if isinstance(provider, UpstreamProvider) else None,
        retry_url=url_for("federation.start", name=name, next=next_url) if enabled else None,
        next_url=safe_next(next_url),
    )
    return Response(page, status=error.status)
