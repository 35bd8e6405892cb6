"""(being written) The second step of a sign-in: /login/verify."""

from __future__ import annotations

from flask import redirect, url_for

from idp.accounts.views.blueprint import bp


@bp.route("/login/verify", methods=["GET", "POST"])
def second_factor():
    return redirect(url_for("accounts.login"))
