"""Login and logout."""

from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RequestLimit
from flask_login import current_user
from werkzeug.wrappers import Response

from idp.accounts import factors, form_limits, registration, second_factor
from idp.accounts import login as auth
from idp.accounts.factors import trusted
from idp.accounts.forms.login import LoginForm
from idp.accounts.redirects import safe_next
from idp.accounts.sessions import finish_logout
from idp.accounts.steady import not_secret, steady_answer
from idp.accounts.throttle import LoginThrottle
from idp.accounts.views.blueprint import bp
from idp.core.extensions import limiter


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _landing(next_url: str | None) -> Response:
    # "Mes services", never a page nudging a password change (seed 000).
    return redirect(safe_next(next_url) or url_for("launcher.services"))


def wait_message(seconds: int) -> str:
    return ngettext(
        "Merci de patienter %(num)s seconde avant de réessayer.",
        "Merci de patienter %(num)s secondes avant de réessayer.",
        max(seconds, 1),
    )


def _render(
    form: LoginForm,
    error: str | None = None,
    notice: str | None = None,
    status=200,
    wrong_credentials: bool = False,
    *,
    wait: int = 0,
):
    """`wrong_credentials` marks both fields invalid: which one was wrong is never said."""
    form.password.data = ""
    form.prepare_captcha()
    page = render_template(
        "accounts/login.html",
        form=form,
        error=error,
        notice=notice,
        next_url=safe_next(request.args.get("next")),
        reauth=request.args.get("reauth") == "1",
        wrong_credentials=wrong_credentials,
    )
    if wait:
        return page, 429, {"Retry-After": str(wait)}
    return page, status


def resend_confirmation_notice(account) -> str:
    """The password matched an unconfirmed account: send the link again, say so."""
    if registration.is_expired(account):
        registration.resend(account.email)  # removes the expired registration
        return _(
            "Votre inscription n'a pas été confirmée à temps et a été annulée. "
            "Vous pouvez créer votre compte à nouveau."
        )
    registration.resend(account.email)
    return _(
        "Votre adresse %(email)s n'est pas encore confirmée. Nous venons de vous renvoyer le "
        "lien de confirmation : il peut mettre quelques minutes à arriver. Pensez à regarder "
        "dans les courriers indésirables.",
        email=account.email,
    )


def _paused(limit: RequestLimit) -> Response:
    """Past LOGIN_RATE_LIMIT (a flood from one address): the sign-in form again, with the
    identifier typed, saying how long to wait — not a bare error page."""
    wait = form_limits.seconds_until(limit.reset_at)
    message = form_limits.paused_message(wait, with_password=True)
    page, status, headers = _render(LoginForm(), error=message, wait=wait)
    return make_response(page, status, headers)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], on_breach=_paused)
def login():
    next_url = request.args.get("next")
    reauth = request.args.get("reauth") == "1"
    if current_user.is_authenticated and not reauth and request.method == "GET":
        return _landing(next_url)

    form = LoginForm()
    if request.method == "GET":
        form.identifier.data = request.args.get("identifier", "")[:254]
        if reauth and current_user.is_authenticated:
            form.identifier.data = current_user.email
        # The captcha of the identifier given (its own failures), or of the whole address
        # once it reached its much higher limit. An unknown identifier has counters too.
        identifier = form.identifier.data.strip()
        throttle = LoginThrottle(auth.find_account(identifier), identifier, request.remote_addr)
        form.captcha_enabled = throttle.state().captcha_required
        return _render(form)

    with steady_answer("login"):
        return _attempt(form, next_url)


def _attempt(form: LoginForm, next_url: str | None):
    """The posted sign-in form: every answer that depends on the account goes out after
    the same time (idp/accounts/steady.py)."""
    identifier = (form.identifier.data or "").strip()
    account = auth.find_account(identifier)
    throttle = LoginThrottle(account, identifier, request.remote_addr)
    state = throttle.state()
    form.captcha_enabled = state.captcha_required
    if form.captcha_renew_requested():
        not_secret()
        return _render(form)
    if state.captcha_required and not form.captcha_id.data:
        # The page sent had no captcha (the failures were made elsewhere): ask for it
        # without calling the missing characters wrong. Nothing is checked nor counted.
        return _render(form, error=_("Par sécurité, recopiez les caractères ci-dessous."))
    if state.wait:
        # The characters are checked anyway: wrong ones are said so (with the wait), right
        # ones are not asked again.
        form.captcha_checked()
        return _render(form, error=wait_message(state.wait), wait=state.wait)
    if not form.validate():
        not_secret()
        return _render(form)

    result = auth.attempt(
        account,
        identifier,
        form.password.data or "",
        request.remote_addr,
        captcha_passed=form.captcha_enabled,
    )
    if result.outcome is auth.LoginOutcome.OK:
        not_secret()  # signed in: the account's existence is no secret to its owner
        account = result.account
        remember = bool(getattr(form, "remember", None) and form.remember.data)
        if factors.has_second_factor(account) and not trusted.is_trusted(account):
            second_factor.begin(account, ["pwd"], next_url, step_up=False, remember=remember)
            return redirect(url_for("accounts.second_factor"))
        auth.open_session(account, remember=remember)
        return _landing(next_url)
    if result.outcome is auth.LoginOutcome.WAIT:
        return _render(form, error=wait_message(result.wait), wait=result.wait)
    if result.outcome is auth.LoginOutcome.CAPTCHA:
        form.captcha_enabled = True
        return _render(form, error=_("Par sécurité, recopiez les caractères ci-dessous."))
    if result.outcome in (auth.LoginOutcome.LOCKED, auth.LoginOutcome.NOT_CONFIRMED):
        not_secret()  # the right password was given: its owner is talking to us
    if result.outcome is auth.LoginOutcome.LOCKED:
        return _render(form, error=locked_message())
    if result.outcome is auth.LoginOutcome.NOT_CONFIRMED:
        return _render(form, notice=resend_confirmation_notice(result.account))
    # Same answer for an unknown account and a wrong password.
    form.captcha_enabled = throttle.state().captcha_required
    return _render(form, error=_("Identifiant ou mot de passe incorrect."), wrong_credentials=True)


def locked_message() -> str:
    phone = current_app.config["SUPPORT_PHONE"]
    message = _("Votre compte est bloqué.")
    if phone:
        return (
            message
            + " "
            + _(
                "Pour le débloquer, contactez le support au %(phone)s (%(hours)s).",
                phone=phone,
                hours=current_app.config["SUPPORT_HOURS"],
            )
        )
    email = current_app.config["SUPPORT_EMAIL"]
    if email:
        return message + " " + _("Pour le débloquer, écrivez au support : %(email)s.", email=email)
    return message + " " + _("Pour le débloquer, contactez le support.")


@bp.post("/logout")
def logout():
    return finish_logout()
