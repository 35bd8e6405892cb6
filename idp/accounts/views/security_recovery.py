"""The recovery codes' page: how many are left, and a new set on demand (replacing the
old one, shown once)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from idp import audit
from idp.accounts import factors, mails
from idp.accounts.factors import recovery
from idp.accounts.forms.factors import RecoveryGenerateForm
from idp.accounts.views.blueprint import bp
from idp.accounts.views.factor_pages import current_account, show_codes, step_up_first


@bp.route("/account/security/recovery", methods=["GET", "POST"])
@login_required
def recovery_codes() -> ResponseReturnValue:
    account = current_account()
    if not factors.has_second_factor(account):
        # Codes are the spare key of another factor: nothing to open without one.
        flash(
            _(
                "Les codes de secours complètent une autre méthode de vérification : "
                "ajoutez-en une d'abord."
            ),
            "warning",
        )
        return redirect(url_for("accounts.security"))
    if (step_up := step_up_first(account)) is not None:
        return step_up
    form = RecoveryGenerateForm()
    if form.validate_on_submit():
        codes = recovery.generate(account)
        audit.record("factor.recovery_generated", account=account, count=len(codes))
        mails.security_changed(account, _("nouveaux codes de secours créés"))  # commits
        return show_codes(account, codes, None)
    return render_template(
        "accounts/security/recovery.html",
        form=form,
        account=account,
        left=recovery.remaining(account),
        total=recovery.COUNT,
    )
