"""Placeholder."""

from idp.accounts.views import bp


@bp.get("/register")
def register():
    return "register"
