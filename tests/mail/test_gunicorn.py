"""Mail leaves under gunicorn, the documented production server: the delivery worker runs
in its workers, so a mail queued while SMTP was down arrives once it is back."""

from __future__ import annotations

import requests

from idp.accounts.services import create_account
from idp.captcha.services import challenge_text
from idp.core.extensions import db
from idp.mail.models import OutboxMessage
from tests.support.captcha import captcha_id_in
from tests.support.forms import csrf_of, person
from tests.support.mail import links_in, wait_for_mail
from tests.support.processes import compte_env, gunicorn
from tests.support.servers import wait_until

PASSWORD = "Formation#2026"


def _register(app, http: requests.Session, base: str, email: str) -> requests.Response:
    page = http.get(f"{base}/register", timeout=10).text
    challenge = captcha_id_in(page)
    with app.app_context():
        answer = challenge_text(challenge)  # the same secret key: the same characters
    data = {
        **person(email, PASSWORD),
        "csrf_token": csrf_of(page),
        "captcha_id": challenge,
        "captcha_answer": answer,
    }
    return http.post(f"{base}/register", data=data, allow_redirects=False, timeout=10)


def test_mails_queued_while_smtp_is_down_arrive_under_gunicorn(app, settings, smtp_sink, tmp_path):
    """Two gunicorn workers, SMTP down: a registration and a forgotten password answer
    normally; the mail server starts later and both mails arrive, links working."""
    with app.app_context():
        create_account(
            email="agent@example.fr",
            password=PASSWORD,
            given_name="Agent",
            family_name="Public",
            confirmed=True,
        )
        db.session.commit()
    smtp_sink.stop()
    env = compte_env(
        settings, COMPTE_MAIL_RETRY_DELAYS="[0.5, 1]", COMPTE_MAIL_WORKER_INTERVAL="0.5"
    )
    with gunicorn(env, tmp_path) as base:
        http = requests.Session()
        registered = _register(app, http, base, "ivan@example.fr")
        assert registered.status_code == 302, registered.text[:2000]
        page = http.get(f"{base}/password/forgot", timeout=10).text
        forgot = http.post(
            f"{base}/password/forgot",
            data={"email": "agent@example.fr", "csrf_token": csrf_of(page)},
            timeout=10,
        )
        assert forgot.status_code == 200 and "Consultez votre messagerie" in forgot.text

        def both_failed_once() -> bool:
            with app.app_context():
                attempts = list(db.session.scalars(db.select(OutboxMessage.attempts)))
                db.session.commit()
            return len(attempts) == 2 and min(attempts) >= 1

        wait_until(both_failed_once, timeout=20)
        smtp_sink.start()
        confirm = wait_for_mail(smtp_sink, "ivan@example.fr", timeout=30)
        reset = wait_for_mail(smtp_sink, "agent@example.fr", timeout=30)
        confirm_url = next(u for u in links_in(confirm) if "/register/confirm/" in u)
        reset_url = next(u for u in links_in(reset) if "/password/reset/" in u)
        assert confirm_url.startswith(base) and reset_url.startswith(base)
        assert http.get(confirm_url, allow_redirects=False, timeout=10).status_code == 302
        assert "Nouveau mot de passe" in http.get(reset_url, timeout=10).text
