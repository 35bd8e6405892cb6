"""The "Sécurité" page of the profile: how the account signs in (passkeys, authenticator
app, recovery codes, codes by e-mail) and where it is signed in. Each factor's own pages
are in the module named after it in this package."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user, login_required

from idp.accounts import factors
from idp.accounts.factors import recovery
from idp.accounts.redirects import safe_next
from idp.accounts.views.blueprint import bp


@bp.get("/account/security")
@login_required
def security():
    account = current_user._get_current_object()
    return render_template(
        "accounts/security.html",
        account=account,
        enrolled=factors.enrolled(account),
        recovery_left=recovery.remaining(account),
        next_url=safe_next(request.args.get("next")),
    )
