"""Placeholder."""

from flask_login import login_required

from idp.accounts.views import bp


@bp.get("/account")
@login_required
def profile():
    return "profile"
