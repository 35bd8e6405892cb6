"""What every page that changes a factor shares: the step-up asked first, and the
recovery codes made and shown right after a first factor (security_totp.py,
security_email.py, security_recovery.py; a passkey's page may use them too)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from idp import audit
from idp.accounts import second_factor
from idp.accounts.factors import recovery
from idp.accounts.models import Account
from idp.core import dates
from idp.core.clock import utcnow


def current_account() -> Account:
    return current_user._get_current_object()


def this_page() -> str:
    """This page's path and query, to come back to after the step-up (with a GET)."""
    return request.full_path.rstrip("?")


def step_up_first(account: Account) -> Response | None:
    """When the account already has a second factor that this session has not used,
    the redirection to the page that asks for it (then back here); else None. A factor
    is never changed on the strength of the password alone."""
    if second_factor.needs_step_up(account):
        return redirect(second_factor.step_up_url(account, this_page()))
    return None


def codes_for_a_first_factor(account: Account) -> list[str]:
    """Recovery codes made for an account that has none left, as its first factor is
    enrolled (recorded; the caller mails and commits); [] when it still has some."""
    if recovery.remaining(account):
        return []
    codes = recovery.generate(account)
    audit.record("factor.recovery_generated", account=account, count=len(codes), first=True)
    return codes


def codes_as_text(account: Account, codes: list[str]) -> str:
    """The recovery codes as the downloaded .txt file says them."""
    service = current_app.config["SERVICE_NAME"]
    made = dates.day(utcnow())
    lines = [
        f"{service} — {account.email}",
        _("Codes de secours du %(date)s : chacun ne sert qu'une fois.", date=made),
        "",
        *codes,
        "",
    ]
    return "\r\n".join(lines)


def show_codes(
    account: Account, codes: list[str], continue_url: str | None, done: str | None = None
) -> str:
    """The one page that shows a new set of recovery codes (never again: only their
    digests are kept), with a way on to `continue_url` (else the security page). `done`
    says what was just changed, if the codes come with it (a first factor added)."""
    return render_template(
        "accounts/security/recovery_codes.html",
        account=account,
        done=done,
        codes=codes,
        codes_text=codes_as_text(account, codes),
        continue_url=continue_url or url_for("accounts.security"),
    )
