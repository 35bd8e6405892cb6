"""E-communautés' page: the communities joined, join / leave (POST + CSRF)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from clients.common.auth import current_login, login_required
from clients.common.db import db
from clients.ecommunautes.models import COMMUNITIES, join, joined_codes, leave

bp = Blueprint("ecommunautes", __name__)


@bp.get("/")
@login_required
def communities():
    joined = joined_codes(current_login().sub)
    return render_template(
        "ecommunautes/communities.html",
        joined=[c for code, c in COMMUNITIES.items() if code in joined],
        others=[c for code, c in COMMUNITIES.items() if code not in joined],
        form=FlaskForm(),
    )


@bp.post("/communautes/<code>/rejoindre")
@login_required
def join_community(code: str):
    if not FlaskForm().validate_on_submit() or not join(current_login().sub, code):
        abort(400)
    db.session.commit()
    flash(f"Vous avez rejoint la communauté « {COMMUNITIES[code].name} ».", "success")
    return redirect(url_for("ecommunautes.communities"))


@bp.post("/communautes/<code>/quitter")
@login_required
def leave_community(code: str):
    if not FlaskForm().validate_on_submit() or code not in COMMUNITIES:
        abort(400)
    leave(current_login().sub, code)
    db.session.commit()
    flash(f"Vous avez quitté la communauté « {COMMUNITIES[code].name} ».", "success")
    return redirect(url_for("ecommunautes.communities"))
