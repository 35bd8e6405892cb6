"""The sign-in's second step, /login/verify: one of the account's factors after the
password (or inside a session, when a service or /admin asks for two factors).

Wrong codes are counted like wrong passwords (idp/accounts/login.throttled_check: the same
counters of the account and the address, the same captcha and delay). The passkey is
verified by its own JSON routes (idp/accounts/views/passkeys.py); this page offers it.
"""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from idp import audit
from idp.accounts import factors, second_factor
from idp.accounts.factors import amr, email_code, recovery, totp, trusted
from idp.accounts.forms.second_factor import SecondFactorForm, SendEmailCodeForm
from idp.accounts.login import LoginOutcome, throttled_check
from idp.accounts.throttle import LoginThrottle
from idp.accounts.views.blueprint import bp
from idp.accounts.views.login import wait_message
from idp.core.extensions import db, limiter

# What each code method is called, and the `amr` its use adds (the table: factors/amr.py).
CODE_METHODS = {
    "totp": (_l("Code de l'application d'authentification"), amr.values("totp")),
    "email": (_l("Code reçu par courriel"), amr.values("email")),
    "recovery": (_l("Code de secours"), amr.values("recovery")),
}
METHOD_NAMES = {
    "passkey": _l("Clé d'accès"),
    "totp": _l("Application d'authentification"),
    "email": _l("Code par courriel"),
    "recovery": _l("Code de secours"),
}
_CHECKS = {"totp": totp.verify, "email": email_code.verify, "recovery": recovery.use}


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _chosen(kinds: list[str]) -> str:
    method = request.values.get("method")
    return method if method in kinds else kinds[0]


def _render(state, kinds, method, form, error=None, notice=None, status=200):
    form.method.data = method
    form.code.data = ""
    form.prepare_captcha()
    page = render_template(
        "accounts/second_factor.html",
        state=state,
        kinds=kinds,
        method=method,
        form=form,
        send_form=SendEmailCodeForm(),
        names=METHOD_NAMES,
        code_label=CODE_METHODS[method][0] if method in CODE_METHODS else None,
        error=error,
        notice=notice,
        trust_days=trusted.days(),
        recovery_left=recovery.remaining(state.account) if "recovery" in kinds else 0,
    )
    return page, status


@bp.route("/login/verify", methods=["GET", "POST"], endpoint="second_factor")
@limiter.limit(_login_rate_limit, methods=["POST"])
def second_factor_step():
    state = second_factor.pending()
    if state is None:
        return redirect(url_for("accounts.login"))
    kinds = factors.enrolled(state.account)
    if not kinds:
        # Asked for two factors (a service, /admin) by an account that has none yet: enrol.
        return redirect(url_for("accounts.security", next=state.next_url or "/"))
    method = _chosen(kinds)
    throttle = LoginThrottle(state.account, "", request.remote_addr)
    limits = throttle.state()
    form = SecondFactorForm()
    form.captcha_enabled = limits.captcha_required
    if request.method == "GET" or method not in CODE_METHODS:
        return _render(state, kinds, method, form)
    if limits.wait and not form.captcha_renew_requested():
        form.captcha_checked()  # wrong characters are said so, with the wait
        return _render(state, kinds, method, form, error=wait_message(limits.wait), status=429)
    if form.captcha_renew_requested() or not form.validate():
        return _render(state, kinds, method, form)
    code = form.code.data or ""
    result = throttled_check(
        throttle,
        lambda: _CHECKS[method](state.account, code),
        captcha_passed=form.captcha_enabled,
    )
    if result.outcome is LoginOutcome.WAIT:
        return _render(state, kinds, method, form, error=wait_message(result.wait), status=429)
    if result.outcome is LoginOutcome.CAPTCHA:
        form.captcha_enabled = True
        return _render(state, kinds, method, form, _("Par sécurité, recopiez les caractères."))
    if result.outcome is LoginOutcome.INVALID:
        audit.record("login.second_factor_failed", account=state.account, method=method)
        db.session.commit()
        form.captcha_enabled = throttle.state().captcha_required
        return _render(state, kinds, method, form, error=_wrong_code(method))
    return _finish(state, method, CODE_METHODS[method][1], remember=form.trust.data)


def _wrong_code(method: str) -> str:
    if method == "totp":
        return _(
            "Ce code n'est pas valide. Saisissez le code affiché en ce moment par votre "
            "application (il change toutes les 30 secondes) ; vérifiez aussi que l'heure de "
            "votre téléphone est juste."
        )
    if method == "email":
        return _(
            "Ce code n'est pas valide ou a expiré. Saisissez le dernier code reçu, ou "
            "demandez-en un nouveau."
        )
    return _("Ce code de secours n'est pas valide ou a déjà servi.")


def _finish(state, method: str, amr: list[str], *, remember: bool) -> Response:
    target = second_factor.complete(state, amr)
    if method == "recovery" and recovery.remaining(state.account) == 0:
        # The last recovery code is gone: lead to a new set before going on.
        target = url_for("accounts.security", next=target, _anchor="recovery")
    response = redirect(target)
    if remember and trusted.days() > 0:
        trusted.trust(state.account, response)
        audit.record("browser.trusted", account=state.account, days=trusted.days())
        db.session.commit()
    return response


@bp.post("/login/verify/email")
@limiter.limit(_login_rate_limit)
def second_factor_send_email():
    """ "Recevoir un code par courriel" on the second step."""
    state = second_factor.pending()
    if state is None:
        return redirect(url_for("accounts.login"))
    if not SendEmailCodeForm().validate_on_submit() or not email_code.is_enrolled(state.account):
        return redirect(url_for("accounts.second_factor", method="email"))
    wait = email_code.send(state.account)
    db.session.commit()
    kinds = factors.enrolled(state.account)
    form = SecondFactorForm(formdata=None)
    form.captcha_enabled = (
        LoginThrottle(state.account, "", request.remote_addr).state().captcha_required
    )
    if wait:
        return _render(state, kinds, "email", form, error=wait_message(wait), status=429)
    notice = _(
        "Un code vient de vous être envoyé par courriel. Il peut mettre quelques minutes à arriver."
    )
    return _render(state, kinds, "email", form, notice=notice)


@bp.post("/login/verify/cancel")
def second_factor_cancel():
    """ "Annuler": forget the pending sign-in (a step-up keeps the session as it was)."""
    state = second_factor.pending()
    second_factor.cancel()
    if state is not None and state.step_up:
        return redirect(url_for("launcher.services"))
    return redirect(url_for("accounts.login"))
