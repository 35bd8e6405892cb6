"""Registration pages: one form (cnfpt, demo) or the 4-step wizard (cpf), the "check your
mailbox" page, re-sending the link, and the confirmation link itself."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from idp.accounts import form_limits, mails, policy, pwned, registration, return_address, signals
from idp.accounts.forms.registration import (
    CancelForm,
    IdentityStepForm,
    PasswordStepForm,
    RegistrationForm,
    ResendForm,
    TermsStepForm,
    normalise_phone,
)
from idp.accounts.redirects import safe_next
from idp.accounts.steady import steady_answer
from idp.accounts.views import registration_address
from idp.accounts.views.blueprint import bp
from idp.core.extensions import limiter
from idp.core.signals import first_answer

# The wizard's draft lives on the server (registration.save_draft); the session only holds
# its random key. DRAFT is where an older version kept the whole draft: dropped when seen.
DRAFT_KEY = "registration_draft_key"
DRAFT = "registration_draft"
PENDING = "registration_pending"  # what the "check your mailbox" page shows
IDENTITY_FIELDS = (
    "nir",
    "civility",
    "given_name",
    "family_name",
    "birth_name",
    "birthdate",
    "email",
    "email_confirm",
    "secondary_email",
    "phone",
    "mobile",
)


def _flood_limit() -> str:
    # Every POST, accepted or not: only a robot reaches it. The fair limits, counting
    # accepted forms per address and e-mail, are idp/accounts/form_limits.py.
    return current_app.config["REGISTRATION_FLOOD_RATE_LIMIT"]


def _next_from(*candidates: str | None) -> str | None:
    """The first candidate that is safe to go to after login (never an open redirect)."""
    for candidate in candidates:
        url = safe_next(candidate)
        if url:
            return url
    return None


def _invitation() -> dict[str, Any] | None:
    return first_answer(signals.invitation_prefill, args=request.args)


def _apply_invitation(form, invitation: dict[str, Any] | None, *, posted: bool) -> None:
    """Pre-fill from an invitation; a locked e-mail is enforced on the server."""
    if not invitation:
        return
    if not posted:
        for key in ("civility", "given_name", "family_name", "email"):
            if invitation.get(key) and hasattr(form, key):
                getattr(form, key).data = invitation[key]
        if invitation.get("email") and hasattr(form, "email_confirm"):
            form.email_confirm.data = invitation["email"]
    if invitation.get("email_locked") and invitation.get("email"):
        form.email_locked = True
        form.email.data = form.email_confirm.data = invitation["email"]
    form.invitation_token.data = invitation.get("invitation_token") or ""


def checklist(password: str | None = None, **names: str) -> list[dict[str, Any]]:
    """The policy checklist; with a password (after a failed POST) each rule says if it is met."""
    items = []
    name = current_app.config["PASSWORD_POLICY"]
    breached = pwned.checker() if password else None
    results = policy.statuses(password or "", policy=name, breached=breached, **names)
    for rule, ok in results:
        state = None if password is None else ("ok" if ok else "ko")
        items.append(
            {
                "key": rule.key,
                "param": rule.param,
                "message": _(rule.message),
                "state": state,
                "server_only": rule.server_only,
            }
        )
    return items


def _checklist_for(form, names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    names = names if names is not None else form.policy_context()
    password = form.password.data if request.method == "POST" and form.password.data else None
    return checklist(password, **names)


def _data_from(
    values: dict[str, Any],
    password: str,
    invitation_token: str | None,
    terms: str,
    next_url: str | None = None,
) -> registration.RegistrationData:
    birthdate = values.get("birthdate")
    if isinstance(birthdate, str):
        birthdate = date.fromisoformat(birthdate) if birthdate else None
    return registration.RegistrationData(
        email=values["email"],
        password=password,
        given_name=values["given_name"],
        family_name=values["family_name"],
        civility=values.get("civility") or None,
        birth_name=values.get("birth_name") or None,
        birthdate=birthdate,
        secondary_email=values.get("secondary_email") or None,
        phone=normalise_phone(values.get("phone")) or None,
        mobile=normalise_phone(values.get("mobile")) or None,
        nir=values.get("nir") or None,
        terms_version=terms,
        invitation_token=invitation_token or None,
        locale=str(get_locale() or "fr"),
        next_url=next_url,
    )


def _finish(outcome: registration.Submitted, *, wizard: bool, next_url: str | None = None):
    _forget_draft()
    registration_address.remember(outcome)  # "Modifier mon adresse" on the next page
    session[PENDING] = {
        "email": outcome.email,
        "wizard": wizard,
        "next": next_url,
    }
    return redirect(url_for("accounts.register_sent"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_flood_limit, methods=["POST"])
def register():
    if current_app.config["REGISTRATION_WIZARD"]:
        # Only what the wizard reads: arbitrary keys would reach url_for (`step`, `_external`).
        args = {k: request.args[k] for k in ("invitation", "next") if request.args.get(k)}
        return redirect(url_for("accounts.register_step", step=1, **args))
    invitation = _invitation()
    form = RegistrationForm()
    _apply_invitation(form, invitation, posted=request.method == "POST")
    next_url = _next_from(form.next.data, request.args.get("next"))
    form.next.data = next_url or ""  # an unsafe value is dropped, never echoed back
    limits = form_limits.registration(request.remote_addr, request.form.get("email", ""))
    if request.method == "POST" and (wait := limits.verdict().wait):
        form.prepare_captcha()  # the characters were not checked: the same ones again
        return form_limits.paused_page(
            "accounts/register.html",
            wait,
            with_password=True,
            form=form,
            invitation=invitation,
            next_url=next_url,
            checklist=_checklist_for(form),
        )
    if not form.captcha_renew_requested() and form.validate_on_submit():
        limits.hit()
        values = {name: form[name].data for name in IDENTITY_FIELDS if name in form}
        data = _data_from(
            values,
            form.password.data,
            (invitation or {}).get("invitation_token") or form.invitation_token.data,
            current_app.config["TERMS_VERSION"],
            next_url,
        )
        data.return_ref = return_address.keep(next_url, registration.max_age())
        with steady_answer("register"):  # an address with an account: the same answer
            return _finish(registration.register(data), wizard=False, next_url=next_url)
    form.prepare_captcha()
    return render_template(
        "accounts/register.html",
        form=form,
        invitation=invitation,
        next_url=next_url,
        checklist=_checklist_for(form),
    ), (400 if form.errors else 200)


# --- the wizard (cpf) ----------------------------------------------------------------


def _draft() -> dict[str, Any]:
    """The wizard's draft (from the server); a warning when it expired meanwhile."""
    session.pop(DRAFT, None)
    key = session.get(DRAFT_KEY)
    if not key:
        return {}
    draft = registration.load_draft(key)
    if draft is None:
        session.pop(DRAFT_KEY, None)
        flash(
            _(
                "Votre inscription en cours a expiré : par sécurité, les informations saisies "
                "ont été effacées. Merci de recommencer."
            ),
            "warning",
        )
        return {}
    return draft


def _save_draft(draft: dict[str, Any]) -> None:
    session[DRAFT_KEY] = registration.save_draft(session.get(DRAFT_KEY), draft)


def _forget_draft() -> None:
    session.pop(DRAFT, None)
    registration.delete_draft(session.pop(DRAFT_KEY, None))


def _identity_values(form) -> dict[str, Any]:
    values = {}
    for name in IDENTITY_FIELDS:
        if name in form:
            value = form[name].data
            values[name] = value.isoformat() if isinstance(value, date) else value
    return values


def _raw_identity(form) -> dict[str, Any]:
    """What was typed, unchecked (the Back button keeps it)."""
    return {
        name: (form[name].raw_data[0] if form[name].raw_data else "")
        for name in IDENTITY_FIELDS
        if name in form
    }


def _steps_context(step: int, next_url: str | None = None) -> dict[str, Any]:
    return {
        "step": step,
        "next_url": safe_next(next_url),  # the service the person is going to, named
        "validity": mails.human_duration(registration.max_age()),
        "cancel_form": CancelForm(formdata=None) if step < 4 else None,
    }


@bp.route("/register/step/<int:step>", methods=["GET", "POST"])
@limiter.limit(_flood_limit, methods=["POST"])
def register_step(step: int):
    if not current_app.config["REGISTRATION_WIZARD"]:
        return redirect(url_for("accounts.register"))
    draft = _draft()
    if step == 1:
        return _step_terms(draft)
    if not draft.get("terms"):
        return redirect(url_for("accounts.register_step", step=1))
    if step == 2:
        return _step_identity(draft)
    if step == 3:
        if not draft.get("identity_ok"):
            return redirect(url_for("accounts.register_step", step=2))
        return _step_password(draft)
    abort(404)


def _step_terms(draft: dict[str, Any]):
    # Nothing is stored before the first POST (a bare GET creates no draft); the form posts
    # to this same URL, so `invitation` and `next` are still in the query string then.
    form = TermsStepForm(data={"accept_terms": bool(draft.get("terms"))})
    next_url = _next_from(form.next.data, request.args.get("next"), draft.get("next"))
    form.next.data = next_url or ""
    if form.validate_on_submit():
        if "invitation" in request.args or "invitation" not in draft:
            draft["invitation"] = _invitation()
        draft["next"] = next_url
        draft["terms"] = current_app.config["TERMS_VERSION"]
        _save_draft(draft)
        return redirect(url_for("accounts.register_step", step=2))
    if request.method == "POST" and "terms" in draft:
        draft.pop("terms")
        _save_draft(draft)
    return render_template(
        "accounts/register_wizard_terms.html", form=form, **_steps_context(1, next_url)
    ), (400 if form.errors else 200)


def _step_identity(draft: dict[str, Any]):
    invitation = draft.get("invitation")
    if request.method == "POST":
        form = IdentityStepForm()
    else:
        saved = dict(draft.get("identity") or {})
        if isinstance(saved.get("birthdate"), str) and saved["birthdate"]:
            try:
                saved["birthdate"] = date.fromisoformat(saved["birthdate"])
            except ValueError:
                saved["birthdate"] = None
        form = IdentityStepForm(data=saved)
    # The captcha, once solved in this registration, is not asked again after "Back".
    form.captcha_enabled = not draft.get("captcha_ok")
    _apply_invitation(form, invitation, posted=request.method == "POST" or "identity" in draft)
    leaving = request.method == "POST" and (
        form.back.data or request.form.get("cancel_registration")
    )
    if leaving:
        # "Retour" or "Annuler l'inscription": what was typed is kept, unchecked, for the
        # way back ("Non, reprendre mon inscription" finds the step as it was left).
        draft["identity"] = _raw_identity(form)
        draft["identity_ok"] = False
        _save_draft(draft)
        if form.back.data:
            return redirect(url_for("accounts.register_step", step=1))
        return redirect(url_for("accounts.register_cancel", step=2))
    limits = form_limits.registration(request.remote_addr, request.form.get("email", ""))
    if request.method == "POST" and (wait := limits.verdict().wait):
        # Said now rather than after the password is typed; nothing is counted yet.
        form.prepare_captcha()
        return form_limits.paused_page(
            "accounts/register_wizard_identity.html",
            wait,
            form=form,
            invitation=invitation,
            **_steps_context(2, draft.get("next")),
        )
    if not form.captcha_renew_requested() and form.validate_on_submit():
        draft["identity"] = _identity_values(form)
        draft["identity_ok"] = True
        draft["captcha_ok"] = True
        _save_draft(draft)
        return redirect(url_for("accounts.register_step", step=3))
    form.prepare_captcha()
    return render_template(
        "accounts/register_wizard_identity.html",
        form=form,
        invitation=invitation,
        **_steps_context(2, draft.get("next")),
    ), (400 if form.errors else 200)


def _step_password(draft: dict[str, Any]):
    identity = draft["identity"]
    names = {k: identity.get(k) or "" for k in ("given_name", "family_name", "birth_name")}
    form = PasswordStepForm()
    form.name_context = names
    if request.method == "POST" and form.back.data:
        return redirect(url_for("accounts.register_step", step=2))
    limits = form_limits.registration(request.remote_addr, identity.get("email") or "")
    if request.method == "POST" and (wait := limits.verdict().wait):
        return form_limits.paused_page(
            "accounts/register_wizard_password.html",
            wait,
            with_password=True,
            form=form,
            checklist=_checklist_for(form, names),
            names=[v for v in names.values() if v],
            **_steps_context(3, draft.get("next")),
        )
    if form.validate_on_submit():
        limits.hit()
        invitation = draft.get("invitation") or {}
        next_url = safe_next(draft.get("next"))
        data = _data_from(
            identity,
            form.password.data,
            invitation.get("invitation_token"),
            draft["terms"],
            next_url,
        )
        data.return_ref = return_address.keep(next_url, registration.max_age())
        with steady_answer("register"):
            return _finish(registration.register(data), wizard=True, next_url=next_url)
    return render_template(
        "accounts/register_wizard_password.html",
        form=form,
        checklist=_checklist_for(form, names),
        names=[v for v in names.values() if v],
        **_steps_context(3, draft.get("next")),
    ), (400 if form.errors else 200)


@bp.route("/register/cancel", methods=["GET", "POST"])
def register_cancel():
    """Abandon the wizard. The GET asks first, saying what will be erased (it works without
    JavaScript); the POST of that page deletes what was typed at once, then the login page."""
    form = CancelForm()
    draft = registration.load_draft(session.get(DRAFT_KEY)) or {}
    if request.method == "GET" or not form.validate_on_submit():
        back = request.args.get("step", type=int)
        return render_template(
            "accounts/register_cancel_confirm.html",
            form=form,
            back_url=url_for("accounts.register_step", step=back if back in (1, 2, 3) else 1),
            erased=_what_cancel_erases(draft),
        )
    next_url = safe_next(draft.get("next"))
    _forget_draft()
    flash(
        _("Votre inscription est annulée : les informations saisies ont été effacées."),
        "success",
    )
    return redirect(url_for("accounts.login", next=next_url))


def _what_cancel_erases(draft: dict[str, Any]) -> list[str]:
    """What the confirmation page lists, in the person's words (nothing typed is shown)."""
    erased = []
    if draft.get("terms"):
        erased.append(_("votre acceptation des conditions d'utilisation"))
    if any((draft.get("identity") or {}).values()):
        erased.append(
            _("votre identité et vos coordonnées (nom, prénom, date de naissance, courriels…)")
        )
    if draft.get("invitation"):
        erased.append(_("le lien avec votre invitation"))
    return erased


# --- after the form: check your mailbox, re-send, confirm -------------------------------


@bp.get("/register/check-email")
def register_sent():
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for("accounts.register"))
    form = ResendForm(data={"email": pending["email"]})
    return render_template(
        "accounts/register_sent.html", pending=pending, form=form, **_steps_context(4)
    )


@bp.route("/register/resend", methods=["GET", "POST"])
@limiter.limit(_flood_limit, methods=["POST"])
def register_resend():
    form = ResendForm()
    limits = form_limits.resend(request.remote_addr, request.form.get("email", ""))
    verdict = limits.verdict() if request.method == "POST" else None
    form.captcha_enabled = bool(verdict and verdict.captcha)
    if verdict and verdict.wait:
        form.prepare_captcha()
        return form_limits.paused_page("accounts/register_resend.html", verdict.wait, form=form)
    if form.captcha_enabled and not form.captcha_id.data:
        # The page sent had no captcha yet (the check page's button): ask it, nothing lost.
        form.prepare_captcha()
        flash(_("Par sécurité, recopiez les caractères ci-dessous."), "warning")
        return render_template("accounts/register_resend.html", form=form)
    if not form.captcha_renew_requested() and form.validate_on_submit():
        limits.hit()
        pending = session.get(PENDING) or {}
        same = (pending.get("email") or "") == form.email.data.lower()
        # The same answer, after the same time, whether a registration is pending or not.
        with steady_answer("register_resend"):
            next_url = safe_next(pending.get("next")) if same else None
            ref = return_address.keep(next_url, registration.max_age())
            registration.resend(form.email.data, next_url, ref)
        flash(
            _(
                "Si une inscription est en attente pour %(email)s, un nouveau courriel de "
                "confirmation vient d'être envoyé. Il peut mettre quelques minutes à arriver.",
                email=form.email.data,
            ),
            "success",
        )
        if same:
            return redirect(url_for("accounts.register_sent"))
        return redirect(url_for("accounts.register_resend"))
    form.prepare_captcha()
    return render_template("accounts/register_resend.html", form=form), (
        400 if form.errors else 200
    )


@bp.get("/register/confirm/<token>")
def register_confirm(token: str):
    result = registration.confirm(token)
    if result.status == "confirmed":
        session.pop(PENDING, None)
        flash(
            _("Votre compte est activé. Saisissez votre mot de passe pour vous connecter."),
            "success",
        )
        args = {"identifier": result.account.email}
        if result.next_url:
            args["next"] = result.next_url
        return redirect(url_for("accounts.login", **args))
    template = {
        "already": "accounts/confirm_already.html",
        "expired": "accounts/confirm_expired.html",
    }.get(result.status, "accounts/confirm_invalid.html")
    status = 200 if result.status == "already" else (410 if result.status == "expired" else 404)
    return render_template(
        template,
        account=result.account,
        validity=mails.human_duration(registration.max_age()),
    ), status
