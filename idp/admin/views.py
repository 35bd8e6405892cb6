"""Routes of this area."""

from flask import Blueprint, Flask, abort
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@login_required
def index():
    if not current_user.is_admin:
        abort(403)
    return "admin"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
