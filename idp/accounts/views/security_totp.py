"""The authenticator app's pages: add one (QR code, key to type, first code) and remove it.

The pending enrolment is tied to this browser's session (`MARKER`): a secret shown in
another browser is never the one confirmed here.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from idp import audit
from idp.accounts import factors, mails, second_factor
from idp.accounts.factors import amr, totp
from idp.accounts.forms.factors import TotpConfirmForm, TotpRemoveForm
from idp.accounts.models import Account
from idp.accounts.redirects import safe_next
from idp.accounts.views.blueprint import bp
from idp.accounts.views.factor_pages import (
    codes_for_a_first_factor,
    current_account,
    show_codes,
    step_up_first,
)
from idp.core.extensions import db

MARKER = "totp_enrolment"


def _invalid_code() -> str:
    return _(
        "Ce code n'est pas valide : vérifiez que l'heure de votre téléphone est réglée "
        "automatiquement, puis saisissez le code affiché en ce moment."
    )


@bp.route("/account/security/totp", methods=["GET", "POST"])
@login_required
def totp_add() -> ResponseReturnValue:
    account = current_account()
    if totp.is_enrolled(account):
        flash(
            _(
                "Une application d'authentification est déjà active. Pour en changer, "
                "retirez-la d'abord, puis ajoutez la nouvelle."
            ),
            "warning",
        )
        return redirect(url_for("accounts.security"))
    if (step_up := step_up_first(account)) is not None:
        return step_up
    next_url = safe_next(request.args.get("next"))
    form = TotpConfirmForm()
    if form.validate_on_submit():
        if totp.confirm(account, form.code.data, session.get(MARKER)):
            return _enrolled(account)
        form.code.errors = [_invalid_code()]
        form.code.data = ""  # a fresh code is to be typed, not this one corrected
    secret, session[MARKER] = totp.begin(account, session.get(MARKER))
    db.session.commit()
    return render_template(
        "accounts/security/totp_add.html",
        form=form,
        account=account,
        qr_code=totp.qr_code(totp.provisioning_uri(account, secret)),
        secret=totp.grouped(secret),
        next_url=next_url,
    )


def _enrolled(account: Account) -> ResponseReturnValue:
    """The first code was right: record, mail, count the app in this session, show the
    recovery codes if they were just made, then go on where the enrolment was asked."""
    session.pop(MARKER, None)
    audit.record("factor.totp_added", account=account)
    codes = codes_for_a_first_factor(account)
    target = second_factor.after_enrolment(account, amr.values("totp"), request.args.get("next"))
    if codes:
        change = _("application d'authentification ajoutée, codes de secours créés")
    else:
        change = _("application d'authentification ajoutée")
    mails.security_changed(account, change)  # commits
    done = _("L'application d'authentification est activée.")
    if codes:
        return show_codes(account, codes, target, done)
    flash(done, "success")
    return redirect(target or url_for("accounts.security"))


@bp.route("/account/security/totp/remove", methods=["GET", "POST"])
@login_required
def totp_remove() -> ResponseReturnValue:
    account = current_account()
    if not totp.is_enrolled(account):
        return redirect(url_for("accounts.security"))
    if (step_up := step_up_first(account)) is not None:
        return step_up
    form = TotpRemoveForm()
    if form.validate_on_submit():
        totp.remove(account)
        audit.record("factor.totp_removed", account=account)
        mails.security_changed(account, _("application d'authentification retirée"))  # commits
        flash(_("L'application d'authentification a été retirée."), "success")
        return redirect(url_for("accounts.security"))
    others = [kind for kind in factors.enrolled(account) if kind not in ("totp", "recovery")]
    return render_template(
        "accounts/security/totp_remove.html", form=form, account=account, last=not others
    )
