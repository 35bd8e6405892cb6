""" "Modifier mon adresse": from the "check your mailbox" page, the same browser corrects the
address of its pending registration (idp/accounts/address_change.py); the new address
gets the mail a registration sends it, and nothing else typed is asked again."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from idp.accounts import address_change, form_limits
from idp.accounts.forms.address import ChangeAddressForm
from idp.accounts.redirects import safe_next
from idp.accounts.steady import steady_answer
from idp.accounts.views.blueprint import bp

PENDING = "registration_pending"  # as in views/registration.py: what the page shows
CHANGE_KEY = "registration_change_key"  # the key address_change.remember gave


def remember(outcome) -> None:
    """After a registration: keep in this browser what correcting its address needs."""
    session[CHANGE_KEY] = address_change.remember(outcome)


def _gone():
    flash(
        _(
            "Cette inscription ne peut plus être modifiée (elle a expiré ou est déjà "
            "confirmée). Si besoin, recommencez votre inscription."
        ),
        "warning",
    )
    session.pop(PENDING, None)
    session.pop(CHANGE_KEY, None)
    return redirect(url_for("accounts.register"))


@bp.route("/register/change-email", methods=["GET", "POST"])
def register_change_email():
    """Counted with "Renvoyer le courriel" (form_limits.address_link), once accepted."""
    pending = session.get(PENDING)
    key = session.get(CHANGE_KEY)
    if not pending:
        return redirect(url_for("accounts.register"))
    current = address_change.pending_email(key)
    if current is None:
        return _gone()
    form = ChangeAddressForm(data={"email": current} if request.method == "GET" else None)
    if form.validate_on_submit():
        limits = form_limits.address_link(request.remote_addr, form.email.data)
        wait = limits.verdict().wait
        if wait:
            return form_limits.paused_page(
                "accounts/register_change_email.html",
                wait,
                form=form,
                current=current,
                pending=pending,
            )
        limits.hit()
        # The same answer, after the same time, whatever either address has.
        with steady_answer("register_change_email"):
            outcome = address_change.change(key, form.email.data, safe_next(pending.get("next")))
        if outcome is None:
            return _gone()
        session[PENDING] = {**pending, "email": outcome.email}
        flash(
            _(
                "Adresse corrigée : nous avons envoyé un nouveau courriel à %(email)s.",
                email=outcome.email,
            ),
            "success",
        )
        return redirect(url_for("accounts.register_sent"))
    return render_template(
        "accounts/register_change_email.html", form=form, current=current, pending=pending
    ), (400 if form.errors else 200)
