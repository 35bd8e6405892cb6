"""The demo mailbox: reads what `compte mailsink` caught. Only when MAILBOX_PAGE is on."""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, abort, current_app, render_template

from idp.mail.sink import StoredMail, read_messages

bp = Blueprint("mail", __name__, url_prefix="/mailbox")

# The HTML part is shown as a mail program would: in a frame of its own, where it may not
# run scripts nor reach anything (a strict CSP and the frame's sandbox), only show its own
# inline styles and images, and open its links in the whole window.
HTML_PART_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
)
_HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)


@bp.before_request
def only_in_demo() -> None:
    if not current_app.config["MAILBOX_PAGE"]:
        abort(404)


def _stored(message_id: str) -> StoredMail:
    for stored in read_messages(current_app.config["MAILSINK_DIR"]):
        if stored.id == message_id:
            return stored
    abort(404)


@bp.get("/")
def inbox():
    messages = list(reversed(read_messages(current_app.config["MAILSINK_DIR"])))
    return render_template("mail/mailbox.html", messages=messages)


@bp.get("/<message_id>")
def show(message_id: str):
    return render_template("mail/mailbox_message.html", stored=_stored(message_id))


@bp.get("/<message_id>/html")
def html_part(message_id: str):
    """The message's HTML part alone, for the frame of the message page."""
    html = _stored(message_id).html
    if not html:
        abort(404)
    # Links open in the whole window (the pages they lead to refuse to be framed).
    base = '<base target="_top">'
    html = (
        _HEAD.sub(lambda m: m.group(0) + base, html, count=1) if _HEAD.search(html) else base + html
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PART_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # The HTML of a mail is shown in a sandboxed frame with a strict CSP of its own, never run.
