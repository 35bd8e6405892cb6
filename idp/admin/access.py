"""Who may use the administration: logged-in accounts with `is_admin`, signed in with two
factors where ADMIN_REQUIRE_MFA is on (the default)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_required

from idp.accounts import second_factor


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous → redirect to the login page (with `next`); logged in but not admin → 403;
    an admin whose session used one factor → the second step (or, without any second
    factor yet, the page to enrol one), then back here."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not getattr(current_user, "is_admin", False):
            abort(403)
        if current_app.config["ADMIN_REQUIRE_MFA"] and not second_factor.is_multi_factor(
            session.get("amr")
        ):
            # A form posted from an older session goes back to the admin home page.
            back = request.full_path if request.method == "GET" else url_for("admin.index")
            account = current_user._get_current_object()
            return redirect(second_factor.step_up_url(account, back))
        return view(*args, **kwargs)

    return wrapper
