"""The invitations API: a service invites people to itself with a client_credentials token
carrying the `invitations` scope (an admin's token may invite to any service).

    POST   /api/invitations          {"email", "given_name"?, "family_name"?, "civility"?,
                                      "client_id"?, "expires_in_days"?}  -> 201 invitation
    GET    /api/invitations          the caller's invitations (newest first)
    GET    /api/invitations/<id>     one of them
    DELETE /api/invitations/<id>     revoke it
The link's token is never returned: it goes to the invited person only, by mail.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import current_token
from flask import Blueprint, Flask, jsonify, request, url_for
from flask_babel import gettext as _

from idp.admin import invitations as service
from idp.admin.models import Invitation
from idp.core.extensions import csrf, db
from idp.core.rows import get_row
from idp.oidc.server import require_oauth

api_bp = Blueprint("invitations_api", __name__, url_prefix="/api/invitations")


def _error(status: int, error: str, description: str, **extra: Any):
    return jsonify({"error": error, "error_description": description, **extra}), status


def _caller() -> tuple[str, Any]:
    """(client_id of the token, its account or None for client_credentials)."""
    return current_token.client.client_id, getattr(current_token, "account", None)


def _is_admin(account: Any) -> bool:
    return bool(account is not None and getattr(account, "is_admin", False))


def _own(invitation_id: int) -> Invitation | None:
    invitation = get_row(Invitation, invitation_id)
    client_id, account = _caller()
    if invitation is None or (invitation.client_id != client_id and not _is_admin(account)):
        return None
    return invitation


def create():
    client_id, account = _caller()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_request", _("Le corps doit être un objet JSON."))
    for key in ("email", "civility", "given_name", "family_name", "client_id"):
        if body.get(key) is not None and not isinstance(body[key], str):
            return _error(
                400, "invalid_request", _("%(key)s doit être un texte.", key=key), field=key
            )
    target = body.get("client_id") or client_id
    if target != client_id and not _is_admin(account):
        return _error(403, "forbidden", _("Un service ne peut inviter qu'à lui-même."))
    days = body.get("expires_in_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool)):
        return _error(400, "invalid_request", _("expires_in_days doit être un entier."))
    try:
        invitation, message = service.invite(
            actor=account,
            email=body.get("email") or "",
            client_id=target,
            civility=body.get("civility"),
            given_name=body.get("given_name"),
            family_name=body.get("family_name"),
            expires_in_days=days,
            origin=f"api:{client_id}"[:80],
        )
    except service.InvitationError as error:
        return _error(400, "invalid_request", str(error), field=error.field)
    data = service.as_dict(invitation)
    # Queued in the outbox: the mail worker delivers it (and retries) right after.
    data["mail_sent"] = message.id is not None
    response = jsonify(data)
    response.status_code = 201
    response.headers["Location"] = url_for(".show", invitation_id=invitation.id)
    return response


def index():
    client_id, account = _caller()
    wanted = request.args.get("client_id") if _is_admin(account) else client_id
    rows = service.listing(status=request.args.get("status"), client_id=wanted)
    return jsonify({"invitations": [service.as_dict(row) for row in rows]})


def show(invitation_id: int):
    invitation = _own(invitation_id)
    if invitation is None:
        return _error(404, "not_found", _("Invitation introuvable."))
    return jsonify(service.as_dict(invitation))


def revoke(invitation_id: int):
    invitation = _own(invitation_id)
    if invitation is None:
        return _error(404, "not_found", _("Invitation introuvable."))
    account = _caller()[1]
    try:
        service.revoke(invitation, actor=account)
    except service.InvitationError as error:
        return _error(409, "conflict", str(error))
    db.session.commit()
    return jsonify(service.as_dict(invitation))


protected = require_oauth("invitations")
api_bp.add_url_rule("", "create", protected(create), methods=["POST"])
api_bp.add_url_rule("", "index", protected(index), methods=["GET"])
api_bp.add_url_rule("/<int:invitation_id>", "show", protected(show), methods=["GET"])
api_bp.add_url_rule("/<int:invitation_id>", "revoke", protected(revoke), methods=["DELETE"])


def init_app(app: Flask) -> None:
    """Register the API (bearer tokens, no CSRF)."""
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
