"""/admin/mail: what waits and what was given up, envelopes only, with "Renvoyer"."""

from __future__ import annotations

from idp.core.extensions import db
from idp.mail.models import OutboxMessage
from idp.mail.outbox import queue_mail
from idp.maintenance import start_background
from tests.admin.conftest import csrf_token
from tests.support.mail import wait_for_mail
from tests.support.servers import wait_until


class _Person:
    given_name, family_name, email = "Ivan", "Pierre", "ivan@example.fr"


def _dead_letter(app, smtp_sink) -> int:
    """A reset mail given up while the mail server was down (it stays down)."""
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    smtp_sink.stop()
    with app.app_context(), app.test_request_context():
        message_id = queue_mail(
            ["ivan@example.fr"],
            "Réinitialisation",
            "password_reset",
            account=_Person(),
            reset_url="https://x/password/reset/SECRET",
            validity_minutes=60,
            login_url="https://x/login",
        ).id
    start_background(app)  # what the first request of a serving process does

    def dead() -> bool:
        with app.app_context():
            return db.session.get(OutboxMessage, message_id).status == "dead"

    wait_until(dead)
    return message_id


def test_dead_letters_are_listed_and_sent_again(app, admin_client, smtp_sink):
    """The page names the mail, its recipient, attempts and error, never its link;
    "Renvoyer" puts it back and it arrives once the server is up."""
    message_id = _dead_letter(app, smtp_sink)
    page = admin_client.get("/admin/mail").get_data(as_text=True)
    assert "Réinitialisation du mot de passe" in page and "ivan@example.fr" in page
    assert "ConnectionRefused" in page and "SECRET" not in page
    assert f'id="mail-{message_id}"' in page and "Renvoyer" in page
    smtp_sink.start()
    done = admin_client.post(
        f"/admin/mail/{message_id}/send-again", data={"csrf_token": csrf_token(page)}
    )
    assert done.status_code == 302
    wait_for_mail(smtp_sink, "ivan@example.fr")
    assert "Aucun courriel abandonné" in admin_client.get("/admin/mail").get_data(as_text=True)


def test_send_again_needs_an_admin_and_csrf(app, admin_client, user_client, smtp_sink):
    """Ordinary accounts get 403; a forged POST without the CSRF token is refused."""
    message_id = _dead_letter(app, smtp_sink)
    assert user_client.get("/admin/mail").status_code == 403
    assert user_client.post(f"/admin/mail/{message_id}/send-again").status_code in (400, 403)
    assert admin_client.post(f"/admin/mail/{message_id}/send-again").status_code == 400
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "dead"
