"""Formadist's pages: my training path, a session page, the invitation landing page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from clients.common.auth import current_login, login_required
from clients.common.db import db
from clients.formadist.models import COURSES, Enrolment, enrol, enrolments_of

bp = Blueprint("formadist", __name__)


@bp.get("/")
@login_required
def parcours():
    return render_template("formadist/parcours.html", enrolments=enrolments_of(current_login().sub))


@bp.get("/formations/<code>")
@login_required
def formation(code: str):
    enrolment = (
        db.session.query(Enrolment).filter_by(sub=current_login().sub, course_code=code).first()
    )
    if enrolment is None:
        abort(404)
    return render_template("formadist/formation.html", enrolment=enrolment)


@bp.get("/invitation")
@login_required
def invitation():
    """Where an invitation (convocation) leads: the session is added to the path."""
    code = request.args.get("formation", "")
    course = COURSES.get(code)
    enrolment = None
    if course is not None:
        enrolment = enrol(current_login().sub, code)
        db.session.commit()
    return render_template("formadist/invitation.html", course=course, enrolment=enrolment)
