"""Have I Been Pwned's range API (idp/accounts/pwned.py), against a real HTTP server on
127.0.0.1 that answers ranges as the service does: off by default, only a 5-character prefix
sent, padding ignored, a breached password refused where people choose one, and fail open
with one log line when the service cannot answer."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlsplit

import pytest

from idp.accounts import pwned
from idp.core.config import load_settings
from tests.support.accounts import PASSWORD, account, login, make_account, post_form, text
from tests.support.captcha import record_captcha_answers
from tests.support.registration import register
from tests.support.servers import free_port, serve_wsgi

# Not in the offline list, meets every cnfpt rule: only the service can refuse it.
BREACHED = "Tournesol-Breche-88"
PADDED = "Girasole-Rembourre-51"  # its suffix comes back, but as padding (count 0)
STRONG = "Vertige-Cobalt-47"
REFUSAL = "Ce mot de passe figure parmi les plus utilisés ou divulgués : choisissez-en un autre."


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


class RangeService:
    """A Pwned Passwords range API: GET /range/<5 hex> lists the suffixes of that range with
    their counts, plus padding lines of count 0 (as with Add-Padding: true). Records each
    request; can answer late, with an HTTP error, or with something that is not a range."""

    def __init__(self) -> None:
        self.counts = {sha1(BREACHED): 3861, sha1(PADDED): 0}
        self.requests: list[dict[str, str]] = []
        self.delay = 0.0
        self.status = "200 OK"
        self.body: str | None = None

    def __call__(self, environ, start_response):
        prefix = environ["PATH_INFO"].rsplit("/", 1)[-1]
        self.requests.append(
            {
                "path": environ["PATH_INFO"],
                "query": environ.get("QUERY_STRING", ""),
                "padding": environ.get("HTTP_ADD_PADDING", ""),
                "body": environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)),
            }
        )
        time.sleep(self.delay)
        lines = [f"{h[5:]}:{n}" for h, n in self.counts.items() if h.upper().startswith(prefix)]
        # Padding: suffixes nobody used, count 0 (the real service adds hundreds).
        lines += [f"{sha1(f'padding {i}')[5:]}:0" for i in range(5)]
        body = self.body if self.body is not None else "\r\n".join(lines)
        start_response(self.status, [("Content-Type", "text/plain")])
        return [body.encode()]


@pytest.fixture
def service() -> Iterator[tuple[RangeService, str]]:
    """The range service on 127.0.0.1; yields it and its API base URL."""
    fake = RangeService()
    with serve_wsgi(fake, free_port()) as base:
        yield fake, base + "/range/"


def turn_on(app, api: str, timeout: float = 2.0) -> None:
    app.config.update(PASSWORD_PWNED_CHECK=True, PASSWORD_PWNED_API=api)
    app.config["PASSWORD_PWNED_TIMEOUT"] = timeout


def change(client, new: str):
    return post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm": new},
    )


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return unescape(match[1]) if match else ""


def compte_records(caplog) -> list[logging.LogRecord]:
    """What Compte logged (not the fake service's own access lines)."""
    return [r for r in caplog.records if r.name.startswith("idp.")]


# --- The client alone -------------------------------------------------------------------


def test_only_a_five_character_prefix_is_sent_with_padding_asked(service):
    """The request names the first 5 hex characters of the SHA-1 and nothing else (no
    query, no body), asks for padding, and the suffix found with a count means breached."""
    fake, api = service
    assert pwned.is_pwned(BREACHED, api=api, timeout=2) is True
    [request] = fake.requests
    assert request["path"] == "/range/" + sha1(BREACHED)[:5]
    assert request["query"] == "" and request["body"] == b""
    assert request["padding"] == "true"


def test_an_unknown_or_padded_suffix_is_not_a_breach(service):
    """A password whose suffix is absent, or present only as padding (count 0), is not
    breached; lower-case suffixes in an answer are compared all the same."""
    fake, api = service
    assert pwned.is_pwned(STRONG, api=api, timeout=2) is False
    assert pwned.is_pwned(PADDED, api=api, timeout=2) is False
    fake.counts = {sha1(STRONG).lower(): 2}
    assert pwned.is_pwned(STRONG, api=api, timeout=2) is True


@pytest.mark.parametrize(
    ("trouble", "reason"),
    [
        ({"status": "503 Service Unavailable"}, "HTTP 503"),
        ({"body": "<html><body>Portail captif</body></html>"}, "not a range"),
        ({"delay": 1.0}, "ReadTimeout"),
    ],
)
def test_a_service_in_trouble_fails_open_with_one_log_line(service, caplog, trouble, reason):
    """An HTTP error, an answer that is not a range or a late answer count as "not
    breached", with one warning naming the kind of failure, never the password or hash."""
    fake, api = service
    fake.counts = {sha1(BREACHED): 10}
    for name, value in trouble.items():
        setattr(fake, name, value)
    caplog.set_level(logging.DEBUG, logger="idp")
    assert pwned.is_pwned(BREACHED, api=api, timeout=0.3) is False
    [record] = compte_records(caplog)
    assert record.levelno == logging.WARNING and record.name == "idp.accounts.pwned"
    message = record.getMessage()
    assert reason in message and "offline list only" in message
    for secret in (BREACHED, sha1(BREACHED), sha1(BREACHED)[:5]):
        assert secret not in message


# --- Where people choose a password -----------------------------------------------------


def test_off_by_default_nothing_leaves(app, client, service):
    """With the shipped default (PASSWORD_PWNED_CHECK = false) a password the service
    knows is accepted and no request is made."""
    fake, api = service
    assert load_settings()["PASSWORD_PWNED_CHECK"] is False
    app.config.update(PASSWORD_PWNED_API=api)
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    assert change(client, BREACHED).status_code == 302
    assert fake.requests == []


def test_password_change_refuses_a_breached_password(app, client, service):
    """Turned on, a password the service lists is refused under the new-password field, the
    checklist marks the common-password line; the service was asked once for that submit."""
    fake, api = service
    turn_on(app, api)
    account_id = make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    before = account(app, account_id).password_hash

    refused = change(client, BREACHED)
    html = text(refused)
    assert refused.status_code == 200
    assert error_of(html, "new_password") == REFUSAL
    assert re.search(r'<li data-rule="not_common"[^>]*class="ko"', html)
    assert account(app, account_id).password_hash == before
    assert [r["path"] for r in fake.requests] == ["/range/" + sha1(BREACHED)[:5]]

    assert change(client, STRONG).status_code == 302


def test_registration_refuses_a_breached_password(app, client, service):
    """The registration form refuses a password the service lists, saying why."""
    fake, api = service
    turn_on(app, api)
    answers = record_captcha_answers(app)
    response = register(client, answers, password=BREACHED, password_confirm=BREACHED)
    assert response.status_code == 400
    assert REFUSAL in error_of(text(response), "password")
    assert len(fake.requests) == 1  # the form asked; the checklist used its answer


def test_the_offline_list_is_asked_first(app, client, service):
    """A password of the offline list is refused without asking the service."""
    fake, api = service
    turn_on(app, api)
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    assert error_of(text(change(client, "Azerty123")), "new_password") == REFUSAL
    assert fake.requests == []


def test_service_down_fails_open_with_one_log_line(app, client, caplog):
    """Nothing listening at the API's address: the password is accepted on the offline list
    alone, and one warning says so, without the password, its hash or the URL."""
    api = f"http://127.0.0.1:{free_port()}/range/"
    turn_on(app, api, timeout=0.5)
    make_account(app)
    login(client, "ivan@example.org", PASSWORD)
    caplog.set_level(logging.DEBUG, logger="idp")
    caplog.clear()

    response = change(client, BREACHED)
    assert response.status_code == 302  # accepted: fail open
    warnings = [r for r in compte_records(caplog) if r.name == "idp.accounts.pwned"]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert warnings[0].levelno == logging.WARNING
    assert message == (
        "Pwned Passwords unavailable (ConnectionError): the new password was checked "
        "against the offline list only"
    )
    for secret in (BREACHED, sha1(BREACHED)[:5], urlsplit(api).netloc):
        assert secret not in caplog.text
