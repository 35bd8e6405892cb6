"""CPF's page: "Synthèse de votre compte" (seed 004's dashboard)."""

from __future__ import annotations

from flask import Blueprint, render_template

from clients.common.auth import current_login, login_required
from clients.cpf.models import dashboard_for

bp = Blueprint("cpf", __name__)


@bp.get("/")
@login_required
def dashboard():
    login = current_login()
    return render_template("cpf/dashboard.html", claims=login.claims, **dashboard_for(login.sub))
