"""Limits on the forms that create a registration, send its confirmation link again or send
a password-reset link, fair to an office of hundreds of agents behind one proxy.

- Only a submission the form accepted counts (the view calls `hit()` after validating): a
  typo, a missing field or wrong captcha characters never do.
- Each form counts per (address, e-mail) — or per e-mail, whoever sends it — at a low
  ceiling, and per address alone at a much higher one.
- Beyond a "captcha" limit the form asks the captcha (registration always does); beyond a
  "block" limit it is paused: the view re-shows it with what was typed and says how long to
  wait, from the window's reset (429 with Retry-After).

Counted by the `limits` library (Flask-Limiter's) in the rate-limit storage
(idp/core/counters.py: Redis shared by every instance). RATELIMIT_ENABLED = false turns them
off like every other rate limit. E-mail addresses are stored digested.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, flash, render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from limits import parse
from limits.strategies import FixedWindowRateLimiter

from idp.core.counters import counters
from idp.core.extensions import limiter

ADDRESS = "address"  # the IP address alone
ADDRESS_AND_EMAIL = "address+email"  # one e-mail address from one IP address
EMAIL = "email"  # one e-mail address, from any IP address (one mailbox flooded)
BLOCK = "block"
CAPTCHA = "captcha"


@dataclass(frozen=True)
class Rule:
    name: str  # the setting it comes from (also names its counters)
    limit: str  # in Flask-Limiter syntax ("5 per hour")
    scope: str  # ADDRESS, ADDRESS_AND_EMAIL or EMAIL
    effect: str  # BLOCK or CAPTCHA once the limit is reached


def registration_rules() -> tuple[Rule, ...]:
    config = current_app.config
    return (
        Rule(
            "REGISTRATION_RATE_LIMIT",
            config["REGISTRATION_RATE_LIMIT"],
            ADDRESS_AND_EMAIL,
            BLOCK,
        ),
        Rule(
            "REGISTRATION_ADDRESS_RATE_LIMIT",
            config["REGISTRATION_ADDRESS_RATE_LIMIT"],
            ADDRESS,
            BLOCK,
        ),
    )


def resend_rules() -> tuple[Rule, ...]:
    config = current_app.config
    return (
        Rule(
            "REGISTRATION_RESEND_RATE_LIMIT",
            config["REGISTRATION_RESEND_RATE_LIMIT"],
            EMAIL,
            BLOCK,
        ),
        Rule(
            "REGISTRATION_RESEND_CAPTCHA_AFTER",
            config["REGISTRATION_RESEND_CAPTCHA_AFTER"],
            ADDRESS,
            CAPTCHA,
        ),
        Rule(
            "REGISTRATION_RESEND_ADDRESS_RATE_LIMIT",
            config["REGISTRATION_RESEND_ADDRESS_RATE_LIMIT"],
            ADDRESS,
            BLOCK,
        ),
    )


def password_reset_rules() -> tuple[Rule, ...]:
    config = current_app.config
    return (
        Rule("RESET_EMAIL_RATE_LIMIT", config["RESET_EMAIL_RATE_LIMIT"], EMAIL, BLOCK),
        Rule("RESET_RATE_LIMIT", config["RESET_RATE_LIMIT"], ADDRESS, BLOCK),
    )


@dataclass(frozen=True)
class Verdict:
    captcha: bool  # a captcha limit is reached: ask the captcha
    wait: int  # seconds before the form is taken again (0: go ahead)


def _digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


class FormLimits:
    """The limits of one form for one submission: its address and the e-mail it targets."""

    def __init__(self, form: str, rules: tuple[Rule, ...], ip: str | None, email: str) -> None:
        self.form = form
        self.rules = rules
        self._ids = {
            ADDRESS: (ip or "-",),
            ADDRESS_AND_EMAIL: (ip or "-", _digest(email)),
            EMAIL: (_digest(email),),
        }

    def _items(self):
        prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
        for rule in self.rules:
            ids = (prefix, self.form, rule.name, *self._ids[rule.scope])
            yield rule, parse(rule.limit), ids

    @staticmethod
    def _on() -> bool:
        return bool(limiter.enabled)  # RATELIMIT_ENABLED, as Flask-Limiter read it

    def verdict(self) -> Verdict:
        """Whether this submission needs the captcha, or must wait (nothing is counted)."""
        if not self._on():
            return Verdict(captcha=False, wait=0)
        strategy = FixedWindowRateLimiter(counters())
        captcha, wait = False, 0
        for rule, item, ids in self._items():
            if strategy.test(item, *ids):
                continue
            if rule.effect == CAPTCHA:
                captcha = True
            else:
                reset = strategy.get_window_stats(item, *ids).reset_time
                wait = max(wait, seconds_until(reset))
        return Verdict(captcha=captcha, wait=wait)

    def hit(self) -> None:
        """Count a submission the form accepted."""
        if not self._on():
            return
        strategy = FixedWindowRateLimiter(counters())
        for _rule, item, ids in self._items():
            strategy.hit(item, *ids)


def registration(ip: str | None, email: str) -> FormLimits:
    return FormLimits("register", registration_rules(), ip, email)


def resend(ip: str | None, email: str) -> FormLimits:
    return FormLimits("register-resend", resend_rules(), ip, email)


def seconds_until(reset_at: float) -> int:
    """Whole seconds, at least one, before a limit's window resets."""
    return max(math.ceil(reset_at - time.time()), 1)


def limiter_wait() -> int:
    """Seconds before the Flask-Limiter limit this request broke lets it through again (its
    window's reset), for Retry-After and the page's "Réessayez dans …"."""
    current = limiter.current_limit
    return seconds_until(current.reset_at) if current else 60


def address_link(ip: str | None, email: str) -> FormLimits:
    """« Modifier mon adresse » and a secondary address's link sent again: each sends a mail
    like "Renvoyer le courriel", so they count with it, per e-mail and per address (no
    captcha on these forms: only the pause applies)."""
    rules = tuple(rule for rule in resend_rules() if rule.effect == BLOCK)
    return FormLimits("register-resend", rules, ip, email)


def password_reset(ip: str | None, email: str) -> FormLimits:
    return FormLimits("password-forgot", password_reset_rules(), ip, email)


def retry_in(seconds: int) -> str:
    """ "Réessayez dans 12 minutes." — rounded up, in the largest unit that reads well."""
    if seconds < 60:
        return ngettext(
            "Réessayez dans %(num)s seconde.", "Réessayez dans %(num)s secondes.", seconds
        )
    if seconds <= 2 * 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext(
            "Réessayez dans %(num)s minute.", "Réessayez dans %(num)s minutes.", minutes
        )
    hours = math.ceil(seconds / 3600)
    return ngettext("Réessayez dans %(num)s heure.", "Réessayez dans %(num)s heures.", hours)


def paused_message(seconds: int, *, with_password: bool = False) -> str:
    """What a paused form says: why, that what was typed is kept (a password is never sent
    back to the page), and how long to wait."""
    reason = _(
        "Trop de demandes ont été envoyées depuis votre connexion : par sécurité, ce "
        "formulaire est mis en pause."
    )
    kept = (
        _("Ce que vous avez saisi est conservé, sauf le mot de passe.")
        if with_password
        else _("Ce que vous avez saisi est conservé.")
    )
    return f"{reason} {kept} {retry_in(seconds)}"


def paused_page(template: str, wait: int, *, with_password: bool = False, **context: Any):
    """A paused form's answer: the form itself again (`template` with what was typed),
    saying why and how long to wait; 429 with Retry-After."""
    flash(paused_message(wait, with_password=with_password), "error")
    return render_template(template, **context), 429, {"Retry-After": str(wait)}
