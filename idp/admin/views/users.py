"""Admin pages for accounts: search, state, lock/unlock, mails, export, removal."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from idp import audit
from idp.accounts import deletion, factors, nir, profile, registration
from idp.accounts import export as account_export
from idp.accounts.models import Account
from idp.accounts.sessions import end_sessions
from idp.accounts.throttle import LoginThrottle
from idp.admin.access import admin_required
from idp.admin.forms.people import ActionForm, AdminDeleteForm, SearchForm
from idp.admin.models import Invitation
from idp.admin.views.blueprint import bp
from idp.admin.views.organizations import organization_panel
from idp.audit import services as audit_services
from idp.audit.labels import label
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.rows import get_row
from idp.oidc import consent as consents
from idp.oidc.clients import names_of

# How long after downloading the export the removal may be confirmed, in seconds.
EXPORT_FRESHNESS = 15 * 60
SEARCH_LIMIT = 50


# --- Small services (plain functions, no request) ------------------------------------------


def search_accounts(text: str) -> list[Account]:
    """Accounts matching an e-mail (part of it), a NIR (exact, normalised) or names."""

    text = text.strip()[:200]
    if not text:
        return []
    query = db.select(Account)
    candidate = nir.normalise(text)
    if len(candidate) == 15 and candidate[:1].isdigit():
        query = query.where(Account.nir == candidate)
    elif "@" in text:
        query = query.where(
            sa.or_(
                Account.email.contains(text.lower(), autoescape=True),
                Account.secondary_email.contains(text.lower(), autoescape=True),
            )
        )
    else:
        # Every word must be found in a name or in the e-mail ("ivan pierre", "dupont").
        for word in text.lower().split()[:5]:
            query = query.where(
                sa.or_(
                    sa.func.lower(Account.given_name).contains(word, autoescape=True),
                    sa.func.lower(Account.family_name).contains(word, autoescape=True),
                    sa.func.lower(Account.birth_name).contains(word, autoescape=True),
                    Account.email.contains(word, autoescape=True),
                )
            )
    query = query.order_by(Account.family_name, Account.given_name, Account.id).limit(SEARCH_LIMIT)
    return list(db.session.scalars(query))


def invitations_of(account: Account) -> list[Invitation]:
    return list(
        db.session.scalars(
            db.select(Invitation)
            .where((Invitation.email == account.email) | (Invitation.account_id == account.id))
            .order_by(Invitation.created_at.desc())
        )
    )


def lock(account: Account, actor: Account) -> None:
    """Lock the account and end its sessions here and at the relying parties (commits)."""
    if account.locked_at is None:
        account.locked_at = utcnow()
    told = end_sessions(account, "locked", revoke_all_tokens=True)
    audit.record("admin.user.locked", account=account, actor=actor, rp_notified=told)
    db.session.commit()


def unlock(account: Account, actor: Account) -> None:
    account.locked_at = None
    LoginThrottle.of_account(account).forget()
    audit.record("admin.user.unlocked", account=account, actor=actor)
    db.session.commit()


def resend_confirmation(account: Account, actor: Account):
    audit.record("admin.user.confirmation_resent", account=account, actor=actor)
    db.session.commit()
    # The registration's own function: a fresh link, the same mail.
    return registration.send_confirmation(account)


def send_reset(account: Account, actor: Account):
    audit.record("admin.user.reset_sent", account=account, actor=actor)
    db.session.commit()
    # The login area's own function: same link, same mail, both addresses.
    profile.request_reset(account.email)
    return None


def _account(account_id: int) -> Account:
    account = get_row(Account, account_id)
    if account is None:
        abort(404)
    return account


def _back(account: Account):
    return redirect(url_for("admin.user", account_id=account.id))


def _checked_action() -> None:
    """Every POST action carries the CSRF token (checked globally by CSRFProtect too)."""
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.get("/users")
@admin_required
def users():
    form = SearchForm(request.args)
    results = search_accounts(form.q.data or "") if form.q.data else None
    return render_template("admin/users.html", form=form, results=results)


@bp.get("/users/<int:account_id>")
@admin_required
def user(account_id: int):
    account = _account(account_id)
    events = audit_services.recent_for(account, limit=20)
    invitations = invitations_of(account)
    return render_template(
        "admin/users_show.html",
        account=account,
        failed_logins=LoginThrottle.of_account(account).account_failures(),
        factors=factors.summary(account),
        action=ActionForm(),
        apps=consents.connected_apps(account, withdrawn=True),
        events=events,
        invitations=invitations,
        client_names=names_of([e.client_id for e in events] + [i.client_id for i in invitations]),
        event_label=label,
        **organization_panel(account),
    )


@bp.post("/users/<int:account_id>/lock")
@admin_required
def user_lock(account_id: int):
    _checked_action()
    account = _account(account_id)
    if account.id == current_user.id:
        flash(_("Vous ne pouvez pas verrouiller votre propre compte."), "error")
        return _back(account)
    lock(account, actor=current_user)
    flash(_("Le compte est verrouillé et ses sessions sont terminées."), "success")
    return _back(account)


@bp.post("/users/<int:account_id>/unlock")
@admin_required
def user_unlock(account_id: int):
    _checked_action()
    account = _account(account_id)
    unlock(account, actor=current_user)
    flash(_("Le compte est déverrouillé."), "success")
    return _back(account)


@bp.post("/users/<int:account_id>/resend-confirmation")
@admin_required
def user_resend_confirmation(account_id: int):
    _checked_action()
    account = _account(account_id)
    if account.is_confirmed:
        flash(_("Ce compte est déjà confirmé : aucun courriel n'a été envoyé."), "warning")
        return _back(account)
    resend_confirmation(account, actor=current_user)
    flash(_("Le courriel de confirmation a été renvoyé."), "success")
    return _back(account)


@bp.post("/users/<int:account_id>/send-reset")
@admin_required
def user_send_reset(account_id: int):
    _checked_action()
    account = _account(account_id)
    send_reset(account, actor=current_user)
    flash(_("Un lien de réinitialisation du mot de passe a été envoyé."), "success")
    return _back(account)


@bp.post("/users/<int:account_id>/reset-factors")
@admin_required
def user_reset_factors(account_id: int):
    """The person lost their second factors: remove them all (audited, mailed)."""
    _checked_action()
    account = _account(account_id)
    kinds = factors.reset(account, actor=current_user._get_current_object(), via="admin")
    if kinds:
        flash(
            _(
                "Les méthodes de vérification ont été réinitialisées ; "
                "la personne a été prévenue par courriel."
            ),
            "success",
        )
    else:
        flash(_("Ce compte n'avait aucune méthode de vérification."), "success")
    return _back(account)


@bp.get("/users/<int:account_id>/export")
@admin_required
def user_export(account_id: int):
    account = _account(account_id)
    audit.record("admin.user.exported", account=account, actor=current_user)
    db.session.commit()
    session.setdefault("exported", {})[str(account.id)] = int(time.time())
    session.modified = True
    return account_export.download_response(account)


@bp.route("/users/<int:account_id>/delete", methods=["GET", "POST"])
@admin_required
def user_delete(account_id: int):
    account = _account(account_id)
    form = AdminDeleteForm()
    exported_at = session.get("exported", {}).get(str(account.id), 0)
    exported = time.time() - exported_at < EXPORT_FRESHNESS
    if account.id == current_user.id:
        flash(_("Supprimez votre propre compte depuis votre profil."), "error")
        return _back(account)
    if form.validate_on_submit():
        if not exported:
            form.form_errors.append(
                _("Téléchargez d'abord l'export des données du compte (bouton ci-dessous).")
            )
        else:
            email = account.email
            deletion.delete_account(account, actor=current_user)
            session.get("exported", {}).pop(str(account_id), None)
            session.modified = True
            flash(_("Le compte %(email)s a été supprimé.", email=email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/users_delete.html", account=account, form=form, exported=exported)
