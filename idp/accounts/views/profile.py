"""The profile ("Mon profil"): identity, e-mails, password, security."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from idp.accounts import form_limits
from idp.accounts import profile as service
from idp.accounts.errors import InvalidCredentials, LinkAlreadyUsed, LinkExpired, LinkInvalid
from idp.accounts.forms.profile import ConfirmActionForm, IdentityForm, SecondaryEmailForm
from idp.accounts.views.blueprint import bp


def _account():
    return current_user._get_current_object()


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    account = _account()
    form = IdentityForm(obj=account)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in service.IDENTITY_FIELDS}
        changed = service.update_identity(account, values)
        if changed:
            flash(_("Vos informations ont été enregistrées."), "success")
        else:
            flash(_("Aucune modification à enregistrer."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, account=account)


@bp.route("/account/emails", methods=["GET", "POST"])
@login_required
def emails():
    account = _account()
    form = SecondaryEmailForm()
    if form.validate_on_submit():
        try:
            result = service.set_secondary(account, form.email.data, form.password.data)
        except InvalidCredentials as error:
            form.password.errors = [str(error)]
        except service.SecondaryRejected as error:
            form.email.errors = [str(error)]
        else:
            flash(
                _(
                    "Un lien de confirmation a été envoyé à %(email)s. Le courriel secondaire "
                    "sera utilisé dès que vous aurez cliqué sur ce lien.",
                    email=result.email,
                ),
                "success",
            )
            return redirect(url_for("accounts.emails"))
    return render_template(
        "accounts/emails.html",
        form=form,
        remove_form=ConfirmActionForm(),
        resend_form=ConfirmActionForm(),
        account=account,
    )


@bp.post("/account/emails/resend")
@login_required
def secondary_resend():
    """Send the secondary address's confirmation link again (it may have been lost)."""
    if ConfirmActionForm().validate_on_submit():
        account = _account()
        limits = form_limits.address_link(request.remote_addr, account.secondary_email or "")
        wait = limits.verdict().wait
        if wait:
            flash(form_limits.paused_message(wait), "error")
            return redirect(url_for("accounts.emails"))
        if service.send_secondary_link(account) is not None:
            limits.hit()
            flash(
                _(
                    "Un nouveau lien de confirmation a été envoyé à %(email)s.",
                    email=account.secondary_email,
                ),
                "success",
            )
    return redirect(url_for("accounts.emails"))


@bp.post("/account/emails/remove")
@login_required
def secondary_remove():
    if ConfirmActionForm().validate_on_submit():
        service.remove_secondary(_account())
        flash(_("Le courriel secondaire a été supprimé."), "success")
    return redirect(url_for("accounts.emails"))


@bp.get("/account/emails/confirm/<token>")
def secondary_confirm(token: str):
    """Works without a session: the link itself proves the address is read."""
    try:
        account = service.confirm_secondary(token)
    except (LinkExpired, LinkInvalid, LinkAlreadyUsed) as error:
        return (
            render_template(
                "accounts/emails_link_problem.html",
                expired=isinstance(error, LinkExpired),
                used=isinstance(error, LinkAlreadyUsed),
            ),
            410,
        )
    return render_template("accounts/emails_confirmed.html", email=account.secondary_email)
