"""The demo mailbox: reads what `compte mailsink` caught. Only when MAILBOX_PAGE is on."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, render_template

from idp.mail.sink import read_messages

bp = Blueprint("mail", __name__, url_prefix="/mailbox")


@bp.before_request
def only_in_demo() -> None:
    if not current_app.config["MAILBOX_PAGE"]:
        abort(404)


@bp.get("/")
def inbox():
    messages = list(reversed(read_messages(current_app.config["MAILSINK_DIR"])))
    return render_template("mail/mailbox.html", messages=messages)


@bp.get("/<message_id>")
def show(message_id: str):
    for stored in read_messages(current_app.config["MAILSINK_DIR"]):
        if stored.id == message_id:
            return render_template("mail/mailbox_message.html", stored=stored)
    abort(404)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # The HTML of a mail is shown in a sandboxed iframe fed by srcdoc, never run.
