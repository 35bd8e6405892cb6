"""The security headers every answer carries, whichever layer writes it (Flask's
after_request in idp/web.py, the lean protocol path in idp/oidc/lean)."""

from __future__ import annotations

from collections.abc import Iterable


def security_header_list(image_origins: Iterable[str] = ()) -> list[tuple[str, str]]:
    """nosniff, no referrer beyond the site, no framing, and a content security policy
    that allows images from `image_origins` too (a service's logo)."""
    images = " ".join(["'self'", "data:", *sorted(image_origins)])
    return [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        (
            "Content-Security-Policy",
            f"default-src 'self'; img-src {images}; media-src 'self'; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ),
    ]
