"""Password change (logged in), forgotten password and reset by link."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from idp.accounts import form_limits, policy, pwned, return_address, sessions
from idp.accounts import profile as service
from idp.accounts.errors import (
    InvalidCredentials,
    LinkAlreadyUsed,
    LinkExpired,
    LinkInvalid,
    PasswordRejected,
    PasswordReused,
)
from idp.accounts.forms.login import ChangePasswordForm, ForgotPasswordForm, ResetPasswordForm
from idp.accounts.redirects import safe_next
from idp.accounts.steady import steady_answer
from idp.accounts.views.blueprint import bp
from idp.core.extensions import limiter


def _reused_message() -> str:
    return _(
        "Vous avez déjà utilisé ce mot de passe pour ce compte : choisissez-en un nouveau, "
        "jamais utilisé."
    )


def _rules(account, password: str | None = None) -> list[dict]:
    """The policy as a checklist (server-side; the JavaScript ticks it live). After a
    submit, each rule is marked met ("ok") or not ("ko")."""
    results = policy.statuses(
        password or "",
        policy=current_app.config["PASSWORD_POLICY"],
        given_name=account.given_name or "",
        family_name=account.family_name or "",
        birth_name=account.birth_name or "",
        breached=pwned.checker() if password else None,
    )
    return [
        {
            "key": rule.key,
            "param": rule.param,
            "message": _(rule.message),
            "state": ("ok" if met else "ko") if password else None,
            "server_only": rule.server_only,
        }
        for rule, met in results
    ]


def _password_errors(form, error: Exception) -> None:
    if isinstance(error, PasswordRejected):
        form.new_password.errors = list(error.messages)
    elif isinstance(error, PasswordReused):
        form.new_password.errors = [_reused_message()]


def _reset_rate_limit() -> str:
    return current_app.config["RESET_LINK_RATE_LIMIT"]


def _change_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_change_rate_limit, methods=["POST"])
def password_change():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
                keep_sid=sessions.current_sid(),  # every other session ends; this one goes on
            )
        except InvalidCredentials as error:
            form.current_password.errors = [str(error)]
        except (PasswordRejected, PasswordReused) as error:
            _password_errors(form, error)
        else:
            account = current_user._get_current_object()
            auth_time, amr = session.get("auth_time"), session.get("amr")
            login_user(account, fresh=True)  # the new session epoch, same session
            session["auth_time"] = auth_time or int(time.time())
            session["amr"] = amr or ["pwd"]
            flash(
                _("Votre mot de passe a été changé. Vos autres sessions ont été fermées."),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    account = current_user._get_current_object()
    return render_template(
        "accounts/password_change.html",
        form=form,
        account=account,
        rules=_rules(account, form.new_password.data),
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
def password_forgot():
    """Counted per e-mail and per address by form_limits (an office behind one proxy may
    ask many links), only once the form was accepted."""
    form = ForgotPasswordForm()
    # Started from a service: the form posts to this same URL, so `next` stays along, and
    # the link goes back there (idp/accounts/return_address.py).
    next_url = safe_next(request.args.get("next"))
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]
    if form.validate_on_submit():
        limits = form_limits.password_reset(request.remote_addr, form.email.data)
        wait = limits.verdict().wait
        if wait:
            return form_limits.paused_page(
                "accounts/password_forgot.html", wait, form=form, next_url=next_url
            )
        limits.hit()
        # The same answer, after the same time, whether an account exists or not.
        with steady_answer("password_forgot"):
            ref = return_address.keep(next_url, int(current_app.config["RESET_MAX_AGE"]))
            service.request_reset(form.email.data, next_url, ref)
            return render_template(
                "accounts/password_forgot_sent.html", email=form.email.data, next_url=next_url
            )
    return render_template("accounts/password_forgot.html", form=form, next_url=next_url)


def _link_problem(error: Exception):
    expired = isinstance(error, LinkExpired)
    used = isinstance(error, LinkAlreadyUsed)
    return (
        render_template("accounts/password_link_problem.html", expired=expired, used=used),
        410 if (expired or used) else 400,
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_rate_limit, methods=["POST"])
def password_reset(token: str):
    try:
        account = service.account_for_reset(token)
    except (LinkExpired, LinkInvalid, LinkAlreadyUsed) as error:
        return _link_problem(error)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            account = service.reset_password(token, form.new_password.data)
        except (LinkExpired, LinkInvalid, LinkAlreadyUsed) as error:
            return _link_problem(error)
        except (PasswordRejected, PasswordReused) as error:
            _password_errors(form, error)
        else:
            flash(
                _("Votre mot de passe a été changé. Vous pouvez maintenant vous connecter."),
                "success",
            )
            way_back = service.way_back_after_reset(token)
            return redirect(url_for("accounts.login", identifier=account.email, next=way_back))
    return render_template(
        "accounts/password_reset.html",
        form=form,
        account=account,
        rules=_rules(account, form.new_password.data),
        email=account.email,
    )
