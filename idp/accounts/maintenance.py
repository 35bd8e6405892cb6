"""Periodic clean-up of the accounts area (`compte accounts purge`, and at `compte serve`)."""

from __future__ import annotations

import logging

from idp.accounts import links, registration
from idp.accounts.factors import email_code, trusted
from idp.captcha.services import purge_expired as purge_captchas
from idp.core.extensions import db

log = logging.getLogger(__name__)


def run(now=None) -> dict[str, int]:
    """Delete expired unconfirmed registrations and registration drafts, markers of used
    links that expired anyway, expired captcha challenges and browser trusts, and sign-in
    codes sent by e-mail an hour past their expiry. Commits; returns how many of each were
    removed."""
    counts = {
        "registrations": registration.purge_expired(now),
        "registration_drafts": registration.purge_expired_drafts(now),
        "used_links": links.purge_used(now),
        "captchas": purge_captchas(now),
        "trusted_browsers": trusted.purge_expired(now),
        "email_codes": email_code.purge_expired(now),
    }
    db.session.commit()
    log.info("accounts purge: %s", counts)
    return counts
