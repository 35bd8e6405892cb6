"""Reading mails back from the real SMTP sink."""

from __future__ import annotations

import re

from idp.mail.sink import MailSink, StoredMail
from tests.support.servers import wait_until


def mails_to(sink: MailSink, address: str) -> list[StoredMail]:
    return [m for m in sink.messages() if address.lower() in m.recipients]


def wait_for_mail(sink: MailSink, address: str, count: int = 1, timeout: float = 10) -> StoredMail:
    """Wait until `address` has at least `count` mails; returns the newest."""
    return wait_until(
        lambda: len(mails_to(sink, address)) >= count and mails_to(sink, address)[-1],
        timeout=timeout,
    )


def wait_for_subject(
    sink: MailSink, address: str, subject_part: str, count: int = 1, timeout: float = 10
) -> StoredMail:
    """Wait until `address` has at least `count` mails whose subject contains
    `subject_part` (other mails may arrive meanwhile); returns the newest of them."""

    def about() -> list[StoredMail]:
        return [m for m in mails_to(sink, address) if subject_part in m.subject]

    return wait_until(lambda: len(about()) >= count and about()[-1], timeout=timeout)


def links_in(mail: StoredMail) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", mail.text)
