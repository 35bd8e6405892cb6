"""Login throttle helpers shared by the throttle tests (memory and Redis storage):
failures counted, parallel guesses over HTTP, attempts counted from threads."""

from __future__ import annotations

import threading

import requests

from idp.accounts.models import Account
from idp.accounts.throttle import LoginThrottle
from idp.core.extensions import db
from tests.support.accounts import events
from tests.support.forms import csrf_of


def bad_credentials(app) -> int:
    """How many failed logins the audit log holds with reason bad_credentials (passwords
    actually checked)."""
    return sum(
        1 for e in events(app, "login.failed") if e.details.get("reason") == "bad_credentials"
    )


def parallel_guesses(base_url: str, identifiers: list[str]) -> list[int]:
    """Fire one wrong guess per identifier at the same instant, each from its own session."""
    sessions = []
    for _ in identifiers:
        session = requests.Session()
        sessions.append((session, csrf_of(session.get(f"{base_url}/login").text)))
    barrier = threading.Barrier(len(identifiers))
    statuses: list[int] = []

    def guess(session, token, identifier):
        barrier.wait()
        response = session.post(
            f"{base_url}/login",
            data={"csrf_token": token, "identifier": identifier, "password": "Mauvais-1"},
            allow_redirects=False,
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=guess, args=(s, t, i))
        for (s, t), i in zip(sessions, identifiers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


def failures(app, account_id: int) -> int:
    """The account's recent failures, as the throttle counts them."""
    with app.test_request_context():
        return LoginThrottle(db.session.get(Account, account_id), "", None).failures().account


def count_in_threads(app, account_id: int | None, identifier: str, n: int) -> list[int]:
    """Count `n` login attempts at the same instant (threads, one address each); returns
    the number each attempt got on the account (or identifier)."""
    numbers: list[int] = []
    barrier = threading.Barrier(n)

    def count(i: int) -> None:
        with app.app_context():
            subject = db.session.get(Account, account_id) if account_id else None
            throttle = LoginThrottle(subject, identifier, f"10.1.0.{i}")
            barrier.wait(20)
            numbers.append(throttle.count_attempt().account)
            db.session.remove()

    threads = [threading.Thread(target=count, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return numbers
