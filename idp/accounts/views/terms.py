"""Placeholder."""

from idp.accounts.views import bp


@bp.get("/terms")
def terms():
    return "terms"
