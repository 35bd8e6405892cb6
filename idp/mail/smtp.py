"""One SMTP conversation, with timeouts. Flask-Mail builds the message and talks SMTP, but
opens its connection with no timeout: a silent server would hang a worker for ever."""

from __future__ import annotations

import base64
import smtplib

from flask import current_app
from flask_mail import Connection, Message


class TimedConnection(Connection):
    """Flask-Mail's connection with connect and read timeouts (MAIL_TIMEOUT seconds)."""

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        timeout = float(current_app.config["MAIL_TIMEOUT"])
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        # Once the server has accepted the message, a failed QUIT must not make it a failure
        # (the message would be sent twice).
        if self.host is not None:
            try:
                self.host.quit()
            except (OSError, smtplib.SMTPException):
                self.host.close()


# Bytes of text per encoded word: 39 bytes make a 64-character encoded word, so that each
# folded line ("Subject: " and one word) stays within 78 characters (RFC 5322 2.1.1) and the
# mail library sends the lines as they are instead of folding them again.
_WORD_BYTES = 39


def encoded_subject(subject: str) -> str:
    """A non-ASCII subject as RFC 2047 encoded words, one per folded line, every space
    inside a word.

    Written by hand because both of Python's encoders (email.header.Header, which
    Flask-Mail uses, and the policy API that folds the header again) may put a space of the
    subject between two encoded words at a fold, where mail readers drop it (RFC 2047 6.2):
    "clé d'accès « Bureau »" was read "clé d'accès« Bureau »"."""
    if subject.isascii():
        return subject
    words, chunk = [], ""
    for character in subject:
        if len((chunk + character).encode()) > _WORD_BYTES:
            words.append(chunk)
            chunk = ""
        chunk += character
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


def send_message(recipients: list[str], subject: str, text: str, html: str | None) -> None:
    """Hand one message to the SMTP server; raises OSError / smtplib.SMTPException."""
    state = current_app.extensions["mail"]
    message = Message(
        subject=encoded_subject(subject), recipients=list(recipients), body=text, html=html
    )
    with TimedConnection(state) as connection:
        connection.send(message)


def is_permanent(error: Exception) -> bool:
    """A refusal that retrying cannot cure: every recipient refused with a 5xx code."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False
