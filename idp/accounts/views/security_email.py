"""The page that turns sign-in codes by e-mail on or off (only where EMAIL_CODE_FACTOR is
on: elsewhere it does not exist)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from idp import audit
from idp.accounts import mails, second_factor
from idp.accounts.factors import email_code
from idp.accounts.forms.factors import EmailFactorForm
from idp.accounts.models import Account
from idp.accounts.redirects import safe_next
from idp.accounts.views.blueprint import bp
from idp.accounts.views.factor_pages import (
    codes_for_a_first_factor,
    current_account,
    show_codes,
    step_up_first,
)


@bp.route("/account/security/email", methods=["GET", "POST"])
@login_required
def email_factor() -> ResponseReturnValue:
    if not email_code.is_available():
        abort(404)
    account = current_account()
    if (step_up := step_up_first(account)) is not None:
        return step_up
    enabled = email_code.is_enrolled(account)
    form = EmailFactorForm(state="off" if enabled else "on")
    if form.validate_on_submit():
        wanted = form.state.data == "on"
        if wanted == enabled:  # sent twice, or from a page older than the last change
            return redirect(url_for("accounts.security"))
        return _enable(account) if wanted else _disable(account)
    return render_template(
        "accounts/security/email_factor.html",
        form=form,
        account=account,
        enabled=enabled,
        next_url=safe_next(request.args.get("next")),
    )


def _enable(account: Account) -> ResponseReturnValue:
    email_code.enable(account)
    audit.record("factor.email_enabled", account=account)
    codes = codes_for_a_first_factor(account)
    if codes:
        change = _("codes de connexion par courriel activés, codes de secours créés")
    else:
        change = _("codes de connexion par courriel activés")
    mails.security_changed(account, change)  # commits
    # Not proved in this session yet (no code was typed): a service that asked for a
    # second factor gets it through the step that sends one.
    target = safe_next(request.args.get("next"))
    if target and second_factor.needs_step_up(account):
        target = second_factor.step_up_url(account, target)
    done = _("Les codes de connexion par courriel sont activés.")
    if codes:
        return show_codes(account, codes, target, done)
    flash(done, "success")
    return redirect(target or url_for("accounts.security"))


def _disable(account: Account) -> ResponseReturnValue:
    email_code.remove(account)
    audit.record("factor.email_disabled", account=account)
    mails.security_changed(account, _("codes de connexion par courriel désactivés"))  # commits
    flash(_("Les codes de connexion par courriel sont désactivés."), "success")
    return redirect(url_for("accounts.security"))
