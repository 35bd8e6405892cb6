"""A new account from an upstream identity: the registration form pre-filled from the
provider's claims (names, birth date, civility from `gender`, e-mail); the person checks
them, completes what is missing, accepts the terms, and may choose a password (optional:
the provider signs them in; "Mot de passe oublié" sets one later).

When the provider vouches for the address (FranceConnect, ProConnect, `email_verified`),
the account is confirmed at once and the person signed in. Otherwise the address is typed
or checked by the person and confirmed by the usual mail; an address that has an account
gets the usual "account exists" mail instead, and the page says the same in both cases
(no enumeration, as on idp/accounts' registration)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy.exc import IntegrityError

from idp import audit
from idp.accounts import mails as account_mails
from idp.accounts import registration
from idp.accounts.models import Account, TermsAcceptance
from idp.accounts.passwords import no_password_hash
from idp.accounts.recipients import typed_address_left_out
from idp.accounts.services import create_account, find_by_email
from idp.accounts.steady import steady_answer
from idp.accounts.views.registration import checklist
from idp.core.clock import utcnow
from idp.core.extensions import db, limiter
from idp.federation import linking, signin
from idp.federation.blueprint import bp, enabled_provider, error_page, too_many
from idp.federation.errors import FederationError
from idp.federation.flow import Identity
from idp.federation.forms import FederatedRegistrationForm
from idp.federation.models import UpstreamProvider

CIVILITY_OF_GENDER = {"female": "mme", "male": "m"}


def _flood_limit() -> str:
    return current_app.config["REGISTRATION_FLOOD_RATE_LIMIT"]


def _birthdate(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _prefill(form: FederatedRegistrationForm, identity: Identity) -> None:
    names = signin.claims_summary(identity)
    form.given_name.data = names["given_name"]
    form.family_name.data = names["family_name"]
    form.birthdate.data = _birthdate(identity.claims.get("birthdate"))
    form.civility.data = CIVILITY_OF_GENDER.get(str(identity.claims.get("gender")))
    if "email" in form:
        form.email.data = identity.email


@bp.route("/login/with/<name>/register", methods=["GET", "POST"], endpoint="register")
@limiter.limit(_flood_limit, methods=["POST"], on_breach=too_many)
def register(name: str) -> Response:
    try:
        provider = enabled_provider(name)
        identity = signin.waiting()
        if identity is None or identity.provider != name:
            raise FederationError("identity_missing", "no identity waiting in this browser")
    except FederationError as error:
        return error_page(error, name)
    form = FederatedRegistrationForm()
    vouched = identity.email_vouched
    if vouched:
        del form.email  # the provider's address, as it is
    if request.method == "GET":
        _prefill(form, identity)
    elif form.validate_on_submit():
        email = identity.email if vouched else form.email.data
        if vouched:
            return _create(provider, identity, form, email or "", vouched)
        with steady_answer("register"):  # an address with an account: the same answer
            return _create(provider, identity, form, email or "", vouched)
    names = {"given_name": form.given_name.data or "", "family_name": form.family_name.data or ""}
    password = form.password.data if request.method == "POST" and form.password.data else None
    page = render_template(
        "federation/register.html",
        form=form,
        provider=provider,
        email=identity.email if vouched else None,
        checklist=checklist(password, **names),
        next_url=identity.next_url,
    )
    return Response(page)


def _create(
    provider: UpstreamProvider,
    identity: Identity,
    form: FederatedRegistrationForm,
    email: str,
    vouched: bool,
) -> Response:
    existing = find_by_email(email)
    if existing is not None and vouched:
        return redirect(url_for("federation.link", name=provider.name))  # made meanwhile
    if existing is not None:
        _tell_owner(existing)
        return _sent(email)
    nir = form.nir.data if "nir" in form else None
    nir_owner = db.session.scalar(db.select(Account).where(Account.nir == nir)) if nir else None
    if nir_owner is not None:  # that NIR has an account: its owner is told, as on registration
        _tell_owner(nir_owner, "nir", email)
        return _sent(email)
    rounds = int(current_app.config["BCRYPT_ROUNDS"])
    terms = current_app.config["TERMS_VERSION"]
    try:
        account = create_account(
            email=email,
            password=form.password.data or None,
            password_hash=None if form.password.data else no_password_hash(rounds),
            given_name=form.given_name.data,
            family_name=form.family_name.data,
            civility=form.civility.data or None,
            birthdate=form.birthdate.data,
            nir=nir or None,
            confirmed=vouched,
            terms_version=terms,
        )
        account.locale = str(get_locale() or "fr")
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # a parallel registration took the address or the NIR
        owner = find_by_email(email)
        if owner is None and nir:
            owner = db.session.scalar(db.select(Account).where(Account.nir == nir))
        reason = "email" if owner is None or owner.email == email else "nir"
        _tell_owner(owner, reason, email)
        return _sent(email)
    db.session.add(TermsAcceptance(account_id=account.id, version=terms, accepted_at=utcnow()))
    audit.record("account.registered", account=account, provider=provider.name)
    if vouched:
        audit.record("account.confirmed", account=account, provider=provider.name)
    db.session.commit()
    linking.link(account, provider, identity, via="registration")
    signin.forget()
    if vouched:
        return redirect(signin.sign_in(account, provider, identity))
    registration.send_confirmation(account, next_url=identity.next_url)
    return _sent(email)


def _tell_owner(existing: Account | None, reason: str = "email", typed: str = "") -> None:
    """The address (or the NIR: `reason`) has an account: its owner gets the usual notice
    (nothing is linked), and the address of this registration, when the notice missed it,
    learns that no account was made (as on registration: idp/accounts/registration.py)."""
    if existing is None:
        return
    token = None if existing.is_confirmed else registration.confirmation_token(existing)
    notice = account_mails.account_exists(
        existing,
        reason,
        token,
        services=registration.services_opened(existing),
        max_age=registration.max_age(),
    )
    if typed and typed_address_left_out(typed, notice.recipients):
        account_mails.registration_not_created(typed, reason)


def _sent(email: str) -> Response:
    """ "Vérifiez votre boîte mail", the same whether the address had an account or not."""
    signin.forget()
    page = render_template(
        "federation/register_sent.html",
        email=email,
        validity=account_mails.human_duration(registration.max_age()),
    )
    return Response(page)
