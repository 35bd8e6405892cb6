"""Admin pages for client applications: list, create, edit, enable/disable, rotate the
secret, delete (after confirmation), and initial access tokens for dynamic registration."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from idp import audit
from idp.admin.access import admin_required
from idp.admin.forms.clients import ClientForm, ConfirmForm, InitialAccessTokenForm
from idp.admin.views.blueprint import bp
from idp.core.clock import utcnow
from idp.core.extensions import db
from idp.core.rows import get_row
from idp.launcher import services as launcher
from idp.launcher.models import LauncherEntry
from idp.oidc import clients
from idp.oidc.capabilities import SECRET_METHODS, current
from idp.oidc.client_registration_endpoints import issue_initial_access_token
from idp.oidc.client_rules import ClientError
from idp.oidc.clients import client_settings
from idp.oidc.models import Client, InitialAccessToken

# ClientError.field → the form field that shows the message (same name otherwise).
FIELD_OF = {"subject_type": "pairwise", "client_id": "name"}


def _client(client_id: str) -> Client:
    client = clients.get_client(client_id)
    if client is None:
        abort(404)
    return client


def _fill_form(form: ClientForm, client: Client, entry: LauncherEntry | None) -> None:
    settings = client_settings(client)
    for name in (
        "name",
        "auth_method",
        "scopes",
        "grant_types",
        "first_party",
        "require_mfa",
        "id_token_alg",
        "access_token_format",
    ):
        getattr(form, name).data = settings[name]
    for name in ("redirect_uris", "post_logout_redirect_uris"):
        getattr(form, name).data = "\n".join(settings[name])
    for name in ("backchannel_logout_uri", "frontchannel_logout_uri", "jwks_uri"):
        getattr(form, name).data = settings[name] or ""
    form.jwks.data = json.dumps(settings["jwks"], indent=2) if settings["jwks"] else ""
    form.pairwise.data = settings["subject_type"] == "pairwise"
    form.userinfo_alg.data = settings["userinfo_alg"] or ""  # "": plain JSON
    form.launcher_visible.data = True
    if entry is not None:
        form.launcher_name.data = entry.name
        form.launcher_description.data = entry.description
        form.launcher_icon_url.data = entry.icon_url or ""
        form.launcher_url.data = entry.url
        form.launcher_position.data = entry.position
        form.launcher_visible.data = entry.visible


def _save_launcher(form: ClientForm, client: Client) -> None:
    """Create/update the launcher entry when a name is given; remove it when cleared."""
    if (form.launcher_name.data or "").strip():
        position = form.launcher_position.data
        launcher.set_entry(
            client.client_id,
            name=form.launcher_name.data,
            url=form.launcher_url.data or "",
            description=form.launcher_description.data or "",
            icon_url=form.launcher_icon_url.data or None,
            position=100 if position is None else position,
            visible=bool(form.launcher_visible.data),
        )
    else:
        launcher.delete_entry(client.client_id)


def _apply(form: ClientForm, save: Callable[[], tuple[Client, str | None]]):
    """Run `save()` then the launcher entry; a broken rule shows its message next to its
    field (nothing is saved). Returns (client, new secret or None), or None on error."""
    try:
        client, secret = save()
        _save_launcher(form, client)
        db.session.flush()
    except ClientError as error:
        db.session.rollback()
        name = FIELD_OF.get(error.field or "", error.field or "")
        field = getattr(form, name, None) if name else None
        (field.errors if field is not None else form.form_errors).append(str(error))
        return None
    except launcher.InvalidEntry as error:
        db.session.rollback()
        target = getattr(form, f"launcher_{error.field}", None) or form.launcher_url
        target.errors.append(str(error))
        return None
    return client, secret


def _show_secret(client: Client, secret: str, *, created: bool):
    """The one page that shows a secret; never stored, never cached (no-store on /admin)."""
    return render_template(
        "admin/client_secret.html", client=client, secret=secret, created=created
    )


@bp.get("/clients", endpoint="clients")
@admin_required
def clients_list():
    entries = {e.client_id: e for e in db.session.scalars(db.select(LauncherEntry))}
    tokens = db.session.scalars(
        db.select(InitialAccessToken)
        .where(InitialAccessToken.revoked_at.is_(None))
        .order_by(InitialAccessToken.created_at.desc())
        .limit(50)
    )
    return render_template(
        "admin/clients.html",
        clients=clients.list_clients(),
        entries=entries,
        tokens=[t for t in tokens if t.usable()],
        token_form=InitialAccessTokenForm(),
        dynamic_registration=current().dynamic_registration,
        confirm_form=ConfirmForm(),
    )


@bp.route("/clients/new", methods=["GET", "POST"])
@admin_required
def client_new():
    form = ClientForm()
    if form.validate_on_submit():
        fields = form.client_fields()
        result = _apply(form, lambda: clients.create_client(**fields))
        if result is not None:
            client, secret = result
            audit.record(
                "admin.client.created",
                client_id=client.client_id,
                actor=current_user,
                name=client.name,
            )
            db.session.commit()
            if secret:
                return _show_secret(client, secret, created=True)
            flash(_("L'application « %(name)s » est créée.", name=client.name), "success")
            return redirect(url_for("admin.client_edit", client_id=client.client_id))
    return render_template("admin/client_form.html", form=form, client=None)


@bp.route("/clients/<client_id>", methods=["GET", "POST"])
@admin_required
def client_edit(client_id: str):
    client = _client(client_id)
    form = ClientForm(client_pk=client.id)
    if not form.is_submitted():
        _fill_form(form, client, launcher.entry_for_client(client.client_id))
    elif form.validate():
        fields = form.client_fields()

        def save() -> tuple[Client, str | None]:
            clients.update_client(client, **fields)
            # A switch to a secret method needs a secret: make one and show it once.
            needs = client.token_endpoint_auth_method in SECRET_METHODS
            return client, (
                clients.rotate_secret(client) if needs and not client.client_secret_hash else None
            )

        result = _apply(form, save)
        if result is not None:
            client, secret = result
            audit.record(
                "admin.client.updated",
                client_id=client.client_id,
                actor=current_user,
                fields=sorted(fields),
            )
            db.session.commit()
            if secret:
                return _show_secret(client, secret, created=False)
            flash(_("Les réglages de « %(name)s » sont enregistrés.", name=client.name), "success")
            return redirect(url_for("admin.client_edit", client_id=client.client_id))
        client = _client(client_id)  # reloaded after the rollback
    return render_template(
        "admin/client_form.html", form=form, client=client, confirm_form=ConfirmForm()
    )


def _post_checked() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.post("/clients/<client_id>/disable")
@admin_required
def client_disable(client_id: str):
    return _switch(client_id, disabled=True)


@bp.post("/clients/<client_id>/enable")
@admin_required
def client_enable(client_id: str):
    return _switch(client_id, disabled=False)


def _switch(client_id: str, *, disabled: bool):
    """Disable (its tokens are revoked) or enable a client, audited."""
    _post_checked()
    client = _client(client_id)
    clients.set_disabled(client, disabled)
    event = "admin.client.disabled" if disabled else "admin.client.enabled"
    audit.record(event, client_id=client.client_id, actor=current_user)
    db.session.commit()
    if disabled:
        message = _("« %(name)s » est désactivée : ses jetons sont révoqués.", name=client.name)
    else:
        message = _("« %(name)s » est réactivée.", name=client.name)
    flash(message, "success")
    return redirect(url_for("admin.client_edit", client_id=client.client_id))


@bp.post("/clients/<client_id>/rotate-secret")
@admin_required
def client_rotate_secret(client_id: str):
    _post_checked()
    client = _client(client_id)
    try:
        secret = clients.rotate_secret(client)
    except ClientError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.client_edit", client_id=client_id))
    audit.record("admin.client.secret_rotated", client_id=client.client_id, actor=current_user)
    db.session.commit()
    return _show_secret(client, secret, created=False)


@bp.route("/clients/<client_id>/delete", methods=["GET", "POST"])
@admin_required
def client_delete(client_id: str):
    client = _client(client_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = client.name
        clients.delete_client(client)
        audit.record("admin.client.deleted", client_id=client_id, actor=current_user, name=name)
        db.session.commit()
        flash(_("L'application « %(name)s » est supprimée.", name=name), "success")
        return redirect(url_for("admin.clients"))
    return render_template("admin/client_delete.html", client=client, form=form)


@bp.post("/clients/registration-tokens")
@admin_required
def registration_token_new():
    form = InitialAccessTokenForm()
    if not current().dynamic_registration:
        flash(_("L’enregistrement dynamique est désactivé (OIDC_DYNAMIC_REGISTRATION)."), "error")
        return redirect(url_for("admin.clients"))
    if not form.validate_on_submit():
        for field in (form.expires_in_days, form.max_uses):
            for error in field.errors:
                flash(f"{field.label.text} : {error}", "error")
        return redirect(url_for("admin.clients"))
    row, plain = issue_initial_access_token(
        current_user, expires_in_days=form.expires_in_days.data, max_uses=form.max_uses.data
    )
    db.session.commit()
    return render_template("admin/clients_token.html", token=plain, row=row)


@bp.post("/clients/registration-tokens/<int:token_id>/revoke")
@admin_required
def registration_token_revoke(token_id: int):
    _post_checked()
    row = get_row(InitialAccessToken, token_id) or abort(404)
    row.revoked_at = row.revoked_at or utcnow()
    audit.record("admin.initial_access_token.revoked", actor=current_user, token_id=row.id)
    db.session.commit()
    flash(_("Le jeton d'accès initial est révoqué."), "success")
    return redirect(url_for("admin.clients"))
