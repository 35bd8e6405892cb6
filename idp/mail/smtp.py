"""One SMTP conversation, with timeouts. Flask-Mail builds the message and talks SMTP, but
opens its connection with no timeout: a silent server would hang a worker for ever."""

from __future__ import annotations

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


def send_message(recipients: list[str], subject: str, text: str, html: str | None) -> None:
    """Hand one message to the SMTP server; raises OSError / smtplib.SMTPException."""
    state = current_app.extensions["mail"]
    message = Message(subject=subject, recipients=list(recipients), body=text, html=html)
    with TimedConnection(state) as connection:
        connection.send(message)


def is_permanent(error: Exception) -> bool:
    """A refusal that retrying cannot cure: every recipient refused with a 5xx code."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False
