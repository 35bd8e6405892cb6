"""Routes of this area."""

from flask import Blueprint, Flask

bp = Blueprint("captcha", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
