"""Fixtures of the mail tests: queue mails the way the areas do."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from idp.mail.outbox import queue_mail
from idp.maintenance import start_background


@pytest.fixture
def queue(app) -> Callable[..., int]:
    """queue(to, subject=…, link=…) queues a test mail (its body holds `link`) as a request
    of a serving process would (whose delivery worker then runs); returns its id."""

    def queue_one(to: str, subject: str = "Votre lien", link: str = "https://x/l/SECRET") -> int:
        with app.app_context(), app.test_request_context():
            message_id = queue_mail(
                [to],
                subject,
                "password_reset",
                account=_Person(),
                reset_url=link,
                validity_minutes=60,
                login_url="https://x/login",
            ).id
        start_background(app)  # what the first request of a serving process does
        return message_id

    return queue_one


class _Person:
    """What the password_reset template reads of an account."""

    given_name = "Ivan"
    family_name = "Pierre"
    email = "ivan@example.fr"
    display_name = "Ivan Pierre"
