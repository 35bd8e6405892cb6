"""Reading captcha answers in tests, without any route or setting.

The captcha services tell the characters of every new challenge to the callable stored in
`app.extensions["compte.captcha_observer"]`, when there is one. Only test code installs
it (production code never does), so a deployed Compte cannot leak answers by mistake.

Usage (the fixture must be imported into the test module, or listed in pytest_plugins):

    from tests.support.captcha import captcha_answers  # noqa: F401  (fixture)

    def test_x(client, captcha_answers):
        page = client.get("/register").get_data(as_text=True)
        data = {**captcha_fields(captcha_answers, page), "email": ...}

or, without the fixture, right after the app is created: `record_captcha_answers(app)`,
then `captcha_answer(app, challenge_id)`. Live-server tests work the same way (the server
thread runs in the test process).
"""

from __future__ import annotations

import re
import threading

import pytest
from flask import Flask

from idp.captcha.services import OBSERVER_KEY

_ID_RE = re.compile(r'name="captcha_id"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="captcha_id"')


class CaptchaRecorder(dict):
    """Challenge id -> characters, filled as challenges are created (thread-safe enough:
    one dict assignment per challenge)."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def __call__(self, challenge_id: str, text: str) -> None:
        with self.lock:
            self[challenge_id] = text

    def latest(self) -> str:
        """The id of the newest challenge."""
        with self.lock:
            return next(reversed(self))


def record_captcha_answers(app: Flask) -> CaptchaRecorder:
    """Install (once) the recorder on `app` and return it."""
    recorder = app.extensions.get(OBSERVER_KEY)
    if not isinstance(recorder, CaptchaRecorder):
        recorder = CaptchaRecorder()
        app.extensions[OBSERVER_KEY] = recorder
    return recorder


def captcha_answer(app: Flask, challenge_id: str) -> str:
    """The characters of a challenge created after record_captcha_answers(app)."""
    recorder = app.extensions.get(OBSERVER_KEY)
    if not isinstance(recorder, CaptchaRecorder):
        raise AssertionError("call record_captcha_answers(app) or use the captcha_answers fixture")
    return recorder[challenge_id]


def captcha_id_in(html: str) -> str:
    """The captcha_id of the (last) captcha block in a page."""
    found = [a or b for a, b in _ID_RE.findall(html)]
    if not found:
        raise AssertionError("no captcha in this page")
    return found[-1]


def captcha_fields(answers: dict[str, str], html: str, wrong: bool = False) -> dict[str, str]:
    """Form data answering the captcha of `html`: {"captcha_id": …, "captcha_answer": …}."""
    challenge_id = captcha_id_in(html)
    answer = answers[challenge_id]
    if wrong:
        answer = "".join("Z" if c != "Z" else "Y" for c in answer)
    return {"captcha_id": challenge_id, "captcha_answer": answer}


@pytest.fixture
def captcha_answers(app: Flask) -> CaptchaRecorder:
    """Records the characters of every captcha `app` creates: a dict id -> characters."""
    return record_captcha_answers(app)
