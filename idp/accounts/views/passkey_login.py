"""Signing in with a passkey (JSON, for static/js/passkeys.js):

- without password, from the login page ("Se connecter avec une clé d'accès", or the
  browser's autofill in the identifier field): a discoverable passkey with user
  verification is both factors, so the session's `amr` is e.g. ["swk", "pop", "user", "mfa"];
- as the second factor of a pending sign-in (/login/verify, idp/accounts/second_factor.py),
  or of a step-up: one of that account's passkeys.

Neither costs a bcrypt check: the passkey is verified by one signature. Every refusal is
audited (login.passkey_failed) and told in words that say nothing of other accounts.
"""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from idp import audit
from idp.accounts import login as auth
from idp.accounts import second_factor
from idp.accounts.factors import passkey_ceremony as ceremony
from idp.accounts.factors import passkeys
from idp.accounts.models import Account
from idp.accounts.views.blueprint import bp
from idp.accounts.views.login import locked_message, resend_confirmation_notice
from idp.accounts.views.passkeys import credential_of, rate_limit, refusal, refused
from idp.core.extensions import db, limiter


def _failed(error: ceremony.PasskeyRefused, purpose: str):
    """Audit the refusal (with its account when the credential named one) and answer."""
    db.session.rollback()  # nothing of a refused answer is kept (a counter moved, say)
    audit.record(
        "login.passkey_failed", account=error.account, reason=error.reason, purpose=purpose
    )
    db.session.commit()
    return refused(refusal(error))


def _inactive(account: Account):
    """The account of a valid passkey is locked or unconfirmed: the same words as after
    the right password (its owner is the one talking to us)."""
    if account.is_locked:
        audit.record("login.locked", account=account, method="passkey")
        db.session.commit()
        return refused(locked_message(), 403)
    audit.record("login.passkey_failed", account=account, reason="not_confirmed", purpose="login")
    db.session.commit()
    return refused(resend_confirmation_notice(account), 403)


# --- Without password ------------------------------------------------------------------


@bp.post("/login/passkey/options")
@limiter.limit(rate_limit)
def passkey_login_options():
    if not passkeys.available():
        return refused(refusal(ceremony.PasskeyRefused("unavailable")))
    return jsonify({"publicKey": ceremony.authentication_options("login")})


@bp.post("/login/passkey")
@limiter.limit(rate_limit)
def passkey_login():
    body = request.get_json(silent=True) or {}
    try:
        use = ceremony.verify_authentication("login", credential_of(body))
    except ceremony.PasskeyRefused as error:
        return _failed(error, "login")
    if not use.account.is_active:
        return _inactive(use.account)
    second_factor.cancel()  # a half-done sign-in with password is superseded
    auth.open_session(use.account, amr=second_factor.combine([], use.methods))
    return jsonify({"redirect": second_factor.landing(request.args.get("next"))})


# --- As the second factor ----------------------------------------------------------------


def _expired():
    return refused(
        _("Votre connexion a expiré. Merci de recommencer."),
        redirect=url_for("accounts.login"),
    )


@bp.post("/login/verify/passkey/options")
@limiter.limit(rate_limit)
def passkey_second_factor_options():
    state = second_factor.pending()
    if state is None:
        return _expired()
    if not passkeys.is_enrolled(state.account):
        return refused(refusal(ceremony.PasskeyRefused("unavailable")))
    return jsonify({"publicKey": ceremony.authentication_options("second_factor", state.account)})


@bp.post("/login/verify/passkey")
@limiter.limit(rate_limit)
def passkey_second_factor():
    state = second_factor.pending()
    if state is None:
        return _expired()
    body = request.get_json(silent=True) or {}
    try:
        use = ceremony.verify_authentication("second_factor", credential_of(body), state.account)
    except ceremony.PasskeyRefused as error:
        return _failed(error, "second_factor")
    return jsonify({"redirect": second_factor.complete(state, use.methods)})
