"""A local SMTP sink (aiosmtpd) that stores every message as a .eml file in a folder.

Used by `compte mailsink`, by the demo's /mailbox page and by the tests."""

from __future__ import annotations

import email
import email.policy
import email.utils
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any


class _StoreHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.directory / name)  # atomic: readers never see half a message
        return "250 Message accepted for delivery"


class MailSink:
    """`with MailSink(dir, port=0) as sink:` runs an SMTP server on 127.0.0.1."""

    def __init__(self, directory: str | Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port
        self._controller: Any = None

    def start(self) -> MailSink:
        # aiosmtpd is imported here: a serving worker reads the stored mail (the mailbox
        # page) but never runs the sink.
        from aiosmtpd.controller import Controller

        self._controller = Controller(
            _StoreHandler(self.directory), hostname=self.host, port=self.port
        )
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def messages(self) -> list[StoredMail]:
        return read_messages(self.directory)


@dataclass
class StoredMail:
    id: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def recipients(self) -> list[str]:
        values = self.message.get_all("To", []) + self.message.get_all("Cc", [])
        return [addr.strip().lower() for value in values for addr in str(value).split(",")]

    @property
    def sent_at(self) -> datetime | None:
        """Its Date header as naive UTC (what the date filters take), None if unreadable."""
        try:
            moment = email.utils.parsedate_to_datetime(str(self.message["Date"] or ""))
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None)

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""


def read_messages(directory: str | Path) -> list[StoredMail]:
    """Every stored message, oldest first."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    result = []
    for path in sorted(folder.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        result.append(StoredMail(id=path.stem, message=parsed))  # type: ignore[arg-type]
    return result
