"""Admin pages for organisations: list, add, edit (name, SIRET, e-mail domains, unit),
delete after confirmation; and the organisation, unit and population of one person (a
form on their admin page, idp/admin/views/users.py). The rules, and the audit, are
idp.organizations.services'."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from idp.accounts.models import Account
from idp.admin.access import admin_required
from idp.admin.forms.clients import lines
from idp.admin.forms.organizations import AccountOrganizationForm, OrganizationForm
from idp.admin.forms.people import ActionForm
from idp.admin.views.blueprint import bp
from idp.core.extensions import db
from idp.core.rows import get_row
from idp.organizations import services
from idp.organizations.models import Organization
from idp.organizations.services import OrganizationError


def _organization(organization_id: int) -> Organization:
    return get_row(Organization, organization_id) or abort(404)


def _saved(form: Any, save: Any) -> bool:
    """Run `save()`; a broken rule shows its message next to its field (nothing kept)."""
    try:
        save()
    except OrganizationError as error:
        db.session.rollback()
        field = getattr(form, error.field or "", None)
        (field.errors if field is not None else form.form_errors).append(str(error))
        return False
    db.session.commit()
    return True


@bp.get("/organizations", endpoint="organizations")
@admin_required
def organizations_list():
    return render_template("admin/organizations.html", organizations=services.list_organizations())


@bp.route("/organizations/new", methods=["GET", "POST"])
@admin_required
def organization_new():
    form = OrganizationForm()
    if form.validate_on_submit():
        created: list[Organization] = []

        def save() -> None:
            created.append(
                services.create(
                    form.name.data,
                    form.siret.data,
                    lines(form.domains.data),
                    form.organizational_unit.data,
                    actor=current_user,
                )
            )

        if _saved(form, save):
            name = created[0].name
            flash(_("L’organisation « %(name)s » est ajoutée.", name=name), "success")
            return redirect(url_for("admin.organizations"))
    return render_template("admin/organization_form.html", form=form, organization=None)


@bp.route("/organizations/<int:organization_id>", methods=["GET", "POST"])
@admin_required
def organization_edit(organization_id: int):
    organization = _organization(organization_id)
    form = OrganizationForm()
    if not form.is_submitted():
        form.name.data = organization.name
        form.siret.data = organization.siret
        form.domains.data = "\n".join(organization.domain_names)
        form.organizational_unit.data = organization.organizational_unit or ""
    elif form.validate():

        def save() -> None:
            services.update(
                organization,
                name=form.name.data,
                siret=form.siret.data,
                domains=lines(form.domains.data),
                organizational_unit=form.organizational_unit.data,
                actor=current_user,
            )

        if _saved(form, save):
            flash(
                _("L’organisation « %(name)s » est enregistrée.", name=organization.name), "success"
            )
            return redirect(url_for("admin.organizations"))
        organization = _organization(organization_id)  # reloaded after the rollback
    return render_template("admin/organization_form.html", form=form, organization=organization)


@bp.route("/organizations/<int:organization_id>/delete", methods=["GET", "POST"])
@admin_required
def organization_delete(organization_id: int):
    organization = _organization(organization_id)
    form = ActionForm()
    if form.validate_on_submit():
        name = organization.name
        services.remove(organization, actor=current_user)
        db.session.commit()
        flash(_("L’organisation « %(name)s » est supprimée.", name=name), "success")
        return redirect(url_for("admin.organizations"))
    people = db.session.scalar(
        db.select(db.func.count(Account.id)).where(Account.organization_id == organization.id)
    )
    return render_template(
        "admin/organization_delete.html", organization=organization, form=form, people=people
    )


# --- one person's organisation (on their admin page) ----------------------------------------


def account_organization_form(account: Account, form: AccountOrganizationForm | None = None):
    """The form of the person's admin page, filled with the account's values."""
    if form is None:
        form = AccountOrganizationForm(
            organization=str(account.organization_id or ""),
            organizational_unit=account.organizational_unit or "",
            belonging_population=account.belonging_population or "",
            formdata=None,
        )
    form.offer(services.list_organizations())
    return form


def organization_panel(account: Account) -> dict[str, Any]:
    """What the person's admin page shows of their organisation: the form, and the
    organisation their claims name now (their own, else their e-mail domain's)."""
    return {
        "organization_form": account_organization_form(account),
        "effective_organization": services.organization_of(account),
    }


@bp.post("/users/<int:account_id>/organization")
@admin_required
def user_organization(account_id: int):
    account = get_row(Account, account_id) or abort(404)
    form = account_organization_form(account, AccountOrganizationForm())
    if not form.validate_on_submit():
        for field in (form.organization, form.organizational_unit, form.belonging_population):
            for error in field.errors:
                flash(f"{field.label.text} : {error}", "error")
        return redirect(url_for("admin.user", account_id=account.id, _anchor="organisation"))
    chosen = form.organization.data
    organization = get_row(Organization, int(chosen)) if chosen else None
    try:
        changed = services.set_for_account(
            account,
            organization,
            form.organizational_unit.data,
            form.belonging_population.data,
            actor=current_user,
        )
    except OrganizationError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        if changed:
            flash(_("L’organisation de la personne est enregistrée."), "success")
        else:
            flash(_("Aucune modification à enregistrer."), "success")
    return redirect(url_for("admin.user", account_id=account.id, _anchor="organisation"))
