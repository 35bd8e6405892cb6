"""Routes of this area."""

from flask import Blueprint, Flask, render_template
from flask_login import login_required

bp = Blueprint("launcher", __name__)


@bp.get("/")
@login_required
def services():
    return render_template("launcher/services.html", entries=[])


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
