"""Admin pages for the upstream identity providers ("Fournisseurs d'identité"): list, add
(with the kind's defaults), the addresses to register at the provider, edit,
disable/enable, delete after confirmation. The rules and the audit are the service's
(idp.federation.providers), which each call here names the administrator to."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from idp.admin.access import admin_required
from idp.admin.forms.clients import ConfirmForm
from idp.admin.forms.providers import ProviderForm, kind_hints
from idp.admin.views.blueprint import bp
from idp.core.extensions import db
from idp.federation import providers
from idp.federation.models import UpstreamLink, UpstreamProvider


def _provider(name: str) -> UpstreamProvider:
    return providers.get(name) or abort(404)


def _linked_accounts(provider: UpstreamProvider) -> int:
    query = db.select(db.func.count()).where(UpstreamLink.provider_id == provider.id)
    return db.session.scalar(query) or 0


def _actor():
    return current_user._get_current_object()


def _save(form: ProviderForm, provider: UpstreamProvider | None) -> UpstreamProvider | None:
    """Create or update; a broken rule shows its message next to its field (or at the top)
    and nothing is saved. Returns the provider saved, or None."""
    fields = form.provider_fields(creating=provider is None)
    try:
        if provider is None:
            return providers.create(actor=_actor(), **fields)
        return providers.update(provider, actor=_actor(), **fields)
    except providers.ProviderError as error:
        db.session.rollback()
        field = getattr(form, error.field, None) if error.field else None
        (field.errors if field is not None else form.form_errors).append(str(error))
        return None


def _form_page(form: ProviderForm, provider: UpstreamProvider | None):
    return render_template(
        "admin/providers_form.html",
        form=form,
        provider=provider,
        described=providers.describe(provider) if provider else None,
        linked=_linked_accounts(provider) if provider else 0,
        hints=kind_hints(),
        confirm_form=ConfirmForm(),
    )


@bp.get("/providers", endpoint="providers")
@admin_required
def providers_list():
    counts = dict(
        db.session.execute(
            db.select(UpstreamLink.provider_id, db.func.count()).group_by(UpstreamLink.provider_id)
        ).all()
    )
    return render_template(
        "admin/providers.html", providers=providers.listed(), linked=counts, hints=kind_hints()
    )


@bp.route("/providers/new", methods=["GET", "POST"])
@admin_required
def provider_new():
    form = ProviderForm()
    if form.is_submitted() and form.prefill.data:
        form.apply_kind_defaults()  # nothing saved: the same page, filled in
    elif form.validate_on_submit():
        provider = _save(form, None)
        if provider is not None:
            flash(_("Le fournisseur « %(label)s » est ajouté.", label=provider.label), "success")
            return redirect(url_for("admin.provider_addresses", name=provider.name))
    return _form_page(form, None)


@bp.route("/providers/<name>", methods=["GET", "POST"])
@admin_required
def provider_edit(name: str):
    provider = _provider(name)
    form = ProviderForm()
    if not form.is_submitted():
        form.fill_from(provider)
    elif form.prefill.data:
        form.apply_kind_defaults()
    elif form.validate():
        saved = _save(form, provider)
        if saved is not None:
            flash(
                _("Les réglages de « %(label)s » sont enregistrés.", label=saved.label), "success"
            )
            return redirect(url_for("admin.provider_addresses", name=saved.name))
        provider = _provider(name)  # reloaded after the rollback
    return _form_page(form, provider)


@bp.get("/providers/<name>/addresses")
@admin_required
def provider_addresses(name: str):
    """What to register at the provider: Compte's return and post-logout addresses."""
    provider = _provider(name)
    return render_template(
        "admin/providers_addresses.html", provider=provider, described=providers.describe(provider)
    )


@bp.post("/providers/<name>/disable")
@admin_required
def provider_disable(name: str):
    return _switch(name, enabled=False)


@bp.post("/providers/<name>/enable")
@admin_required
def provider_enable(name: str):
    return _switch(name, enabled=True)


def _switch(name: str, *, enabled: bool):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    provider = _provider(name)
    providers.set_enabled(provider, enabled, actor=_actor())
    if enabled:
        message = _("« %(label)s » est de nouveau proposé à la connexion.", label=provider.label)
    else:
        message = _(
            "« %(label)s » n’est plus proposé à la connexion ; les comptes liés gardent leur lien.",
            label=provider.label,
        )
    flash(message, "success")
    return redirect(url_for("admin.provider_edit", name=provider.name))


@bp.route("/providers/<name>/delete", methods=["GET", "POST"])
@admin_required
def provider_delete(name: str):
    provider = _provider(name)
    form = ConfirmForm()
    if form.validate_on_submit():
        label = provider.label
        providers.remove(provider, actor=_actor())
        flash(_("Le fournisseur « %(label)s » est supprimé.", label=label), "success")
        return redirect(url_for("admin.providers"))
    return render_template(
        "admin/providers_delete.html",
        provider=provider,
        linked=_linked_accounts(provider),
        form=form,
    )
