"""Browser sessions and logout (placeholder: the OpenID Connect work replaces it)."""

from flask import Response, redirect, url_for
from flask_login import logout_user


def finish_logout() -> Response:
    """End the Compte session (and, once built, every relying party's)."""
    logout_user()
    return redirect(url_for("accounts.login"))
