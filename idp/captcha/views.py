"""Routes of this area: the captcha image, its French audio, and new characters (JSON)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, request, url_for

from idp.captcha import services
from idp.core.extensions import limiter

bp = Blueprint("captcha", __name__, url_prefix="/captcha")


def _rate_limit() -> str:
    return current_app.config["CAPTCHA_RATE_LIMIT"]


def _media(challenge_id: str, body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    return response


def _pending_text(challenge_id: str) -> str:
    """The characters of a challenge still waiting for its answer; 404 otherwise."""
    if services.state(challenge_id) != services.PENDING:
        abort(404)
    return services.challenge_text(challenge_id)


@bp.get("/<challenge_id>.png")
@limiter.limit(_rate_limit)
def image(challenge_id: str) -> Response:
    # Drawing (Pillow) and the voices load on the first captcha shown, not at every start.
    from idp.captcha.image import render_image

    return _media(challenge_id, render_image(_pending_text(challenge_id)), "image/png")


@bp.get("/<challenge_id>.wav")
@limiter.limit(_rate_limit)
def audio(challenge_id: str) -> Response:
    # Drawing (Pillow) and the voices load on the first captcha shown, not at every start.
    from idp.captcha.audio import render_audio

    return _media(challenge_id, render_audio(_pending_text(challenge_id)), "audio/wav")


@bp.post("/new")
@limiter.limit(_rate_limit)
def new() -> Response | tuple[dict, int]:
    """New characters for the "Nouveaux caractères" button (JS). CSRF: X-CSRFToken header."""
    payload = request.get_json(silent=True)
    # Any JSON may come in: only an object's "previous" text is read.
    previous = payload.get("previous") if isinstance(payload, dict) else None
    if isinstance(previous, str):
        services.discard(previous)
    challenge_id = services.new_challenge()
    body = {
        "id": challenge_id,
        "image": url_for("captcha.image", challenge_id=challenge_id),
        "audio": url_for("captcha.audio", challenge_id=challenge_id),
    }
    response = current_app.json.response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
