"""SMTP down or silent: the person's pages answer as usual, the mail waits in the outbox
with its error, and it arrives, with a working link, once a mail server answers again.
Everything over real HTTP, with a real SMTP server (the sink) and real sockets."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from idp.mail.models import PENDING, SENT
from idp.mail.sink import MailSink
from tests.faults.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    Visitor,
    link_in,
    outbox,
    path_of,
    visible_text,
)
from tests.support.accounts import make_account
from tests.support.captcha import record_captcha_answers
from tests.support.mail import wait_for_mail
from tests.support.proxy import TcpProxy
from tests.support.servers import wait_until

NEWCOMER = "pierreivan@yopmail.com"
MEMBER = "ivan@example.org"


@pytest.fixture
def settings(settings: dict) -> dict:
    """A mail server gets 1 second to answer (MAIL_TIMEOUT)."""
    return {**settings, "MAIL_TIMEOUT": 1}


def waiting_with_error(app, count: int) -> list:
    """Wait until `count` messages are queued and each has failed once; returns them."""

    def failed() -> list | None:
        rows = outbox(app)
        return rows if len(rows) == count and all(r.attempts >= 1 for r in rows) else None

    return wait_until(failed, timeout=20)


def sign_up_and_ask_for_a_reset(app, live_server: str) -> None:
    """A newcomer registers and a member asks for a new password; both see the usual page."""
    answers = record_captcha_answers(app)
    newcomer = Visitor(live_server)
    registered = newcomer.register(NEWCOMER, answers)
    assert registered.status_code == 302, visible_text(registered.text)[:500]
    sent = newcomer.get(registered.headers["Location"])
    assert sent.status_code == 200
    assert "Votre demande a bien été enregistrée." in visible_text(sent.text)
    assert NEWCOMER in sent.text

    reset = Visitor(live_server).forgot_password(MEMBER)
    assert reset.status_code == 200
    assert f"Si un compte existe avec l'adresse {MEMBER}" in visible_text(reset.text)


def follow_the_links(app, live_server: str, sink: MailSink) -> None:
    """Both mails arrived; the confirmation link activates the account and the reset link
    sets a new password (each then signs in)."""
    confirmation = wait_for_mail(sink, NEWCOMER, timeout=20)
    assert confirmation.text.startswith("Bonjour Ivan,")
    newcomer = Visitor(live_server)
    confirmed = newcomer.get(path_of(link_in(confirmation, "/register/confirm/")))
    assert confirmed.status_code == 302
    assert unquote(confirmed.headers["Location"]).endswith(f"identifier={NEWCOMER}")
    assert newcomer.login(NEWCOMER, PASSWORD).status_code == 302

    reset_mail = wait_for_mail(sink, MEMBER, timeout=20)
    member = Visitor(live_server)
    reset_path = path_of(link_in(reset_mail, "/password/reset/"))
    changed = member.fill(reset_path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    assert member.login(MEMBER, NEW_PASSWORD).status_code == 302

    first_two = outbox(app)[:2]  # then comes the "password changed" notice
    assert [r.status for r in first_two] == [SENT, SENT]
    assert all(r.sealed_body is None for r in first_two)  # delivered: the links are gone


def test_smtp_down_registration_and_reset_answer_and_every_mail_arrives_later(
    app, live_server, smtp_sink
):
    """SMTP down: registration and "mot de passe oublié" show their usual pages, both mails
    wait in the outbox with the error, and both arrive (links working) once SMTP is back."""
    make_account(app, MEMBER, PASSWORD)
    smtp_sink.stop()

    sign_up_and_ask_for_a_reset(app, live_server)

    waiting = waiting_with_error(app, 2)
    assert all(r.status == PENDING and "ConnectionRefusedError" in r.last_error for r in waiting)
    assert smtp_sink.messages() == []

    smtp_sink.start()  # the same port: the retries find it
    follow_the_links(app, live_server, smtp_sink)


def test_silent_smtp_times_out_then_a_real_server_on_its_port_gets_the_mail(
    app, live_server, smtp_sink
):
    """A mail server that accepts and never answers: the person's pages are unaffected,
    each delivery attempt gives up after MAIL_TIMEOUT and the mail stays queued with the
    error; once a real server listens on that port, every mail arrives."""
    make_account(app, MEMBER, PASSWORD)
    smtp_sink.stop()
    with TcpProxy(silent=True, port=smtp_sink.port):  # where Compte sends its mail
        sign_up_and_ask_for_a_reset(app, live_server)

        waiting = waiting_with_error(app, 2)
        assert all(r.status == PENDING for r in waiting)
        assert all("timed out" in r.last_error for r in waiting), [r.last_error for r in waiting]
    smtp_sink.start()  # a real server on the silent one's port
    follow_the_links(app, live_server, smtp_sink)
