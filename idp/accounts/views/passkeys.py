"""Passkeys on the Sécurité page: add one (JSON, for static/js/passkeys.js), remove one
(a plain form). The sign-in with a passkey, with or without password, is in
passkey_login.py; the ceremonies in idp/accounts/factors/passkey_ceremony.py.

Every change asks first for the account's second factor when this session has not used
it (`second_factor.needs_step_up`): a stolen password alone must not add or remove a key.
Each change is audited and mailed to both addresses (mails.security_changed).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from idp import audit
from idp.accounts import mails, second_factor
from idp.accounts.factors import passkey_ceremony as ceremony
from idp.accounts.factors import passkeys
from idp.accounts.forms.profile import ConfirmActionForm
from idp.accounts.models import Account
from idp.accounts.redirects import safe_next
from idp.accounts.views.blueprint import bp
from idp.core.extensions import db, limiter


def rate_limit() -> str:
    """Every passkey endpoint is limited per address like the password form: verifying a
    signature is cheap, but the options and failures must not be free to flood."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def refusal(error: ceremony.PasskeyRefused) -> str:
    """What a person reads when a passkey answer was refused (never which accounts exist:
    a credential id is random, saying it is unknown says nothing about anyone)."""
    reason = error.reason
    if reason in ("no_challenge", "expired", "replayed"):
        return _("La demande a expiré. Merci de réessayer.")
    if reason == "unknown_credential":
        return _(
            "Cette clé d'accès n'est enregistrée sur aucun compte : elle a peut-être été "
            "supprimée. Connectez-vous avec votre identifiant et votre mot de passe."
        )
    if reason == "wrong_account":
        return _("Cette clé d'accès n'appartient pas à ce compte. Utilisez une de vos clés.")
    if reason == "no_user_verification":
        return _(
            "Pour vous connecter sans mot de passe, votre clé d'accès doit vérifier que c'est "
            "bien vous (code, empreinte ou visage). Connectez-vous avec votre mot de passe."
        )
    if reason == "sign_count":
        return _(
            "Par sécurité, cette clé d'accès a été refusée : elle a peut-être été copiée. "
            "Utilisez une autre méthode, puis supprimez cette clé de votre compte."
        )
    if reason == "already_registered":
        return _("Cette clé d'accès est déjà enregistrée.")
    if reason == "unavailable":
        return unavailable_message()
    return _("La clé d'accès n'a pas pu être vérifiée. Merci de réessayer.")


def unavailable_message() -> str:
    return _(
        "Les clés d'accès ne fonctionnent pas à cette adresse : les navigateurs ne les "
        "acceptent que sur un nom de domaine, pas sur une adresse IP."
    )


def refused(message: str, status: int = 400, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": message, **extra}), status


def credential_of(body: dict) -> Any:
    return body.get("credential") if isinstance(body.get("credential"), dict) else None


def _account() -> Account:
    return current_user._get_current_object()


def _security_page() -> str:
    return url_for("accounts.security", next=safe_next(request.args.get("next")))


def _step_up_first(account: Account) -> str | None:
    """The step-up address when this session must prove the second factor first."""
    if second_factor.needs_step_up(account):
        return second_factor.step_up_url(account, _security_page())
    return None


@bp.post("/account/security/passkeys/options")
@login_required
@limiter.limit(rate_limit)
def passkey_add_options():
    account = _account()
    if not passkeys.available():
        return refused(unavailable_message())
    if target := _step_up_first(account):
        return jsonify({"redirect": target})
    options = ceremony.registration_options(account)
    db.session.commit()  # the user handle, made on the first passkey
    return jsonify({"publicKey": options})


@bp.post("/account/security/passkeys")
@login_required
@limiter.limit(rate_limit)
def passkey_add():
    account = _account()
    if target := _step_up_first(account):
        return jsonify({"redirect": target})
    body = request.get_json(silent=True) or {}
    try:
        use = ceremony.verify_registration(
            account, credential_of(body), str(body.get("name") or ""), request.user_agent.string
        )
    except ceremony.PasskeyRefused as error:
        db.session.rollback()
        return refused(refusal(error))
    db.session.flush()
    name = use.passkey.name
    audit.record(
        "factor.passkey_added",
        account=account,
        passkey=use.passkey.id,
        name=name,
        backed_up=use.passkey.backed_up,
    )
    mails.security_changed(account, _("clé d'accès « %(name)s » ajoutée", name=name))
    flash(_("La clé d'accès « %(name)s » a été ajoutée.", name=name), "success")
    next_url = safe_next(request.args.get("next"))
    if passkeys.USER_VERIFIED in use.methods:
        # Made with user verification: proved here and now, the session counts it.
        target = second_factor.after_enrolment(account, use.methods, next_url)
        return jsonify({"redirect": target or url_for("accounts.security")})
    if next_url:
        # A key without user verification proves less at creation: ask for it once.
        return jsonify({"redirect": second_factor.step_up_url(account, next_url)})
    return jsonify({"redirect": url_for("accounts.security")})


@bp.post("/account/security/passkeys/<int:passkey_id>/remove")
@login_required
@limiter.limit(rate_limit)
def passkey_remove(passkey_id: int):
    account = _account()
    if not ConfirmActionForm().validate_on_submit():
        return redirect(_security_page())
    if target := _step_up_first(account):
        return redirect(target)
    passkey = passkeys.one_of(account, passkey_id)
    if passkey is None:
        flash(_("Cette clé d'accès n'existe plus."), "error")
        return redirect(_security_page())
    name = passkey.name
    passkeys.delete(passkey)
    audit.record("factor.passkey_removed", account=account, passkey=passkey_id, name=name)
    mails.security_changed(account, _("clé d'accès « %(name)s » supprimée", name=name))
    flash(_("La clé d'accès « %(name)s » a été supprimée.", name=name), "success")
    return redirect(_security_page())


@bp.app_template_global()
def passkeys_of(account: Account) -> list:
    """The account's passkeys, for the Sécurité page's section (read only when shown)."""
    return passkeys.of_account(account)


@bp.app_template_global()
def passkeys_available() -> bool:
    return passkeys.available()
