"""Login and logout (placeholder until the login work lands)."""

from flask import redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from idp.accounts.passwords import verify_password
from idp.accounts.services import find_by_email
from idp.accounts.views import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        account = find_by_email(request.form.get("identifier", ""))
        if account and verify_password(request.form.get("password", ""), account.password_hash):
            login_user(account)
            return redirect(request.args.get("next") or url_for("launcher.services"))
        error = "Identifiant ou mot de passe incorrect."
    return render_template("accounts/login.html", error=error)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("accounts.login"))
