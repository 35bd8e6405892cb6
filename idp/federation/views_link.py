"""Linking an upstream identity to the existing account that has its address: never
silently. The person proves the account is theirs with its password (throttled like the
login page, captcha included) or with a link mailed to the account's address; then the
link is made (audited, the person told by mail) and the person is signed in.

Also "Retirer" on the security page (refused when it is the account's last way in)."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from idp.accounts import links
from idp.accounts import login as auth
from idp.accounts.errors import LinkAlreadyUsed, LinkExpired, LinkInvalid
from idp.accounts.models import Account
from idp.accounts.services import find_by_email
from idp.accounts.throttle import LoginThrottle
from idp.accounts.views.login import locked_message, resend_confirmation_notice, wait_message
from idp.core.extensions import db, limiter
from idp.federation import linking, mails, signin
from idp.federation.blueprint import bp, enabled_provider, error_page, rate_limit, too_many
from idp.federation.errors import FederationError
from idp.federation.flow import Identity
from idp.federation.forms import LinkConfirmForm, LinkMailForm, LinkPasswordForm, UnlinkForm
from idp.federation.models import UpstreamProvider
from idp.federation.upstream_logout import AMR_FEDERATED


def _mail_rate_limit() -> str:
    return current_app.config["FEDERATION_LINK_RATE_LIMIT"]


def _waiting(name: str) -> tuple[UpstreamProvider, Identity, Account]:
    """The identity this browser brought back from provider `name`, and the account with
    its vouched address."""
    provider = enabled_provider(name)
    identity = signin.waiting()
    if identity is None or identity.provider != name:
        raise FederationError("identity_missing", "no identity waiting in this browser")
    account = find_by_email(identity.email or "") if identity.email_vouched else None
    if account is None:
        raise FederationError("identity_missing", "no account to link")
    return provider, identity, account


def _page(provider, identity, account, form, *, error=None, notice=None, status=200):
    form.password.data = ""
    form.prepare_captcha()
    page = render_template(
        "federation/link.html",
        provider=provider,
        account=account,
        names=signin.claims_summary(identity),
        form=form,
        mail_form=LinkMailForm(),
        error=error,
        notice=notice,
        next_url=identity.next_url,
    )
    return Response(page, status=status)


@bp.route("/login/with/<name>/link", methods=["GET", "POST"], endpoint="link")
@limiter.limit(rate_limit, methods=["POST"], on_breach=too_many)
def link_page(name: str) -> Response:
    try:
        provider, identity, account = _waiting(name)
    except FederationError as error:
        return error_page(error, name)
    form = LinkPasswordForm()
    throttle = LoginThrottle(account, account.email, request.remote_addr)
    state = throttle.state()
    form.captcha_enabled = state.captcha_required
    if request.method == "GET" or form.captcha_renew_requested():
        return _page(provider, identity, account, form)
    if state.captcha_required and not form.captcha_id.data:
        return _page(
            provider,
            identity,
            account,
            form,
            error=_("Par sécurité, recopiez les caractères ci-dessous."),
        )
    if state.wait:
        form.captcha_checked()
        return _page(provider, identity, account, form, error=wait_message(state.wait), status=429)
    if not form.validate():
        return _page(provider, identity, account, form)
    result = auth.attempt(
        account,
        account.email,
        form.password.data or "",
        request.remote_addr,
        captcha_passed=form.captcha_enabled,
    )
    outcome = result.outcome
    if outcome is auth.LoginOutcome.OK:
        linking.link(account, provider, identity, via="password")
        signin.forget()
        # The password and the provider were both used: both in the session's `amr`.
        return redirect(signin.sign_in(account, provider, identity, amr=("pwd", AMR_FEDERATED)))
    if outcome is auth.LoginOutcome.WAIT:
        return _page(provider, identity, account, form, error=wait_message(result.wait), status=429)
    if outcome is auth.LoginOutcome.CAPTCHA:
        form.captcha_enabled = True
        return _page(
            provider,
            identity,
            account,
            form,
            error=_("Par sécurité, recopiez les caractères ci-dessous."),
        )
    if outcome is auth.LoginOutcome.LOCKED:
        return _page(provider, identity, account, form, error=locked_message(), status=403)
    if outcome is auth.LoginOutcome.NOT_CONFIRMED:
        return _page(provider, identity, account, form, notice=resend_confirmation_notice(account))
    form.captcha_enabled = throttle.state().captcha_required
    return _page(provider, identity, account, form, error=_("Mot de passe incorrect."))


@bp.post("/login/with/<name>/link/mail")
@limiter.limit(_mail_rate_limit, on_breach=too_many)
def link_mail(name: str) -> Response:
    """Mail the account a link that confirms the link (for who forgot the password)."""
    try:
        provider, identity, account = _waiting(name)
    except FederationError as error:
        return error_page(error, name)
    if not LinkMailForm().validate_on_submit():
        return redirect(url_for("federation.link", name=name))
    mails.send_link(account, provider, signin.keep(identity))
    return Response(
        render_template(
            "federation/link_sent.html",
            provider=provider,
            email=account.email,
            validity=mails.human_duration(mails.max_age()),
        )
    )


def _mailed(token: str) -> tuple[dict, Identity, Account, UpstreamProvider]:
    try:
        data = links.read_token(mails.PURPOSE, token, mails.max_age())
    except (LinkExpired, LinkInvalid, LinkAlreadyUsed):
        raise FederationError("link_invalid", "mailed link expired, used or forged") from None
    identity = signin.waiting(data.get("k"))
    account = db.session.scalar(db.select(Account).where(Account.sub == data.get("a")))
    if identity is None or account is None:
        raise FederationError("link_invalid", "identity or account gone")
    return data, identity, account, signin.provider_of(identity)


@bp.route("/login/upstream-link/<token>", methods=["GET", "POST"], endpoint="link_by_mail")
@limiter.limit(rate_limit, on_breach=too_many)
def link_by_mail(token: str) -> Response:
    """The mailed link: a page whose button makes the link (mail scanners open links)."""
    try:
        data, identity, account, provider = _mailed(token)
    except FederationError as error:
        return error_page(error)
    form = LinkConfirmForm()
    if not form.validate_on_submit():
        return Response(
            render_template(
                "federation/link_confirm.html", form=form, provider=provider, account=account
            )
        )
    try:
        links.consume_token(mails.PURPOSE, token, mails.max_age())
        found = linking.find(provider, identity.subject)
        if found is not None and found.account_id != account.id:
            raise FederationError("link_invalid", "identity linked to another account")
        if found is None:
            linking.link(account, provider, identity, via="mail")
        same_browser = data.get("k") == session.get(signin.IDENTITY_KEY)
        signin.forget(data.get("k"))
        return redirect(signin.sign_in(account, provider, identity, same_browser=same_browser))
    except LinkAlreadyUsed:
        return error_page(FederationError("link_invalid", "mailed link used"), provider)
    except FederationError as error:
        return error_page(error, provider)


@bp.post("/account/security/upstream/<int:link_id>/remove", endpoint="unlink")
@login_required
def unlink(link_id: int) -> Response:
    """Remove a link from the security page, unless it is the account's last way in."""
    if UnlinkForm().validate_on_submit():
        try:
            label = linking.unlink(current_user._get_current_object(), link_id)
        except LookupError:
            flash(_("Cette connexion n'existe plus."), "error")
        except linking.UnlinkRefused as refused:
            flash(
                _(
                    "Impossible de retirer la connexion via %(label)s : ce serait votre seul "
                    "moyen de vous connecter. Définissez d'abord un mot de passe (« Mot de "
                    "passe oublié ») ou ajoutez une clé d'accès.",
                    label=str(refused),
                ),
                "error",
            )
        else:
            flash(_("La connexion via %(label)s a été retirée.", label=label), "success")
    return redirect(url_for("accounts.security") + "#connexions-externes")
