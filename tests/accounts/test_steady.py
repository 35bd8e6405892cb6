"""Steady answers: the forms that could tell whether an account exists hold their answer
to a floor learnt from their recent durations, the same for a known and an unknown
address; answers that tell nothing are not held. (The time itself is measured by
scripts/bench_enumeration.py, not here: these tests record the waits asked for.)"""

from __future__ import annotations

import pytest

from idp.accounts import steady
from idp.accounts.steady import Pace
from tests.support.accounts import PASSWORD, login, make_account, post_form
from tests.support.captcha import record_captcha_answers
from tests.support.registration import register

KNOWN = "connu@example.org"
UNKNOWN = "inconnu@example.org"


class FakeClock:
    """A clock that moves only when told, and a sleep that records what it was asked."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def _answer(pace: Pace, clock: FakeClock, seconds: float) -> float:
    """One answer that naturally takes `seconds`; returns how long it was held."""
    started = clock()
    clock.now += seconds
    before = len(clock.waits)
    pace.hold(started)
    return sum(clock.waits[before:])


def test_the_floor_is_a_high_quantile_of_recent_answers_with_a_margin():
    """After a hundred answers of 10 ms, a 2 ms answer is held to 12.5 ms."""
    clock = FakeClock()
    pace = Pace(clock=clock, sleep=clock.sleep)
    for _ in range(100):
        _answer(pace, clock, 0.010)
    assert _answer(pace, clock, 0.002) == pytest.approx(0.0105)
    assert pace.floor() == pytest.approx(0.0125)


def test_an_answer_slower_than_the_floor_is_not_held():
    """Nothing is added to an answer that already took longer than the floor."""
    clock = FakeClock()
    pace = Pace(clock=clock, sleep=clock.sleep)
    for _ in range(20):
        _answer(pace, clock, 0.010)
    assert _answer(pace, clock, 0.050) == 0


def test_the_first_answers_wait_for_the_slowest_seen():
    """Before enough answers are known, the floor is the slowest one (with the margin)."""
    clock = FakeClock()
    pace = Pace(clock=clock, sleep=clock.sleep)
    assert _answer(pace, clock, 0.020) == 0  # nothing known yet
    assert _answer(pace, clock, 0.004) == pytest.approx(0.021)


@pytest.fixture
def paces(app) -> dict[str, FakeClock]:
    """Each form's pace already knows a floor of 1.25 s; the clocks record the waits."""
    clocks: dict[str, FakeClock] = {}
    with app.app_context():
        for name in ("login", "password_forgot", "register", "register_resend"):
            clock = clocks[name] = FakeClock()
            pace = steady.pace_of(name)
            pace.clock, pace.sleep = clock, clock.sleep
            for _ in range(20):
                _answer(pace, clock, 1.0)
            clock.waits.clear()
    return clocks


@pytest.mark.parametrize("identifier", [KNOWN, UNKNOWN])
def test_a_failed_sign_in_is_held_whether_or_not_the_account_exists(app, client, paces, identifier):
    """A wrong password and an unknown address both wait for the floor."""
    make_account(app, KNOWN)
    response = login(client, identifier, "Pas-le-bon-2026")
    assert "Identifiant ou mot de passe incorrect" in response.get_data(as_text=True)
    assert len(paces["login"].waits) == 1 and paces["login"].waits[0] > 1.0


def test_a_successful_sign_in_and_a_form_error_are_not_held(app, client, paces):
    """Answers that tell nothing about an account go out at once."""
    make_account(app, KNOWN)
    assert login(client, KNOWN, "").status_code == 200  # the form's own error
    assert login(client, KNOWN, PASSWORD).status_code == 302
    assert paces["login"].waits == []


@pytest.mark.parametrize("email", [KNOWN, UNKNOWN])
def test_forgotten_password_and_resend_are_held(app, client, paces, email):
    """ "Mot de passe oublié" and "renvoyer le courriel" wait for the floor, known or not."""
    make_account(app, KNOWN, confirmed=False)
    post_form(client, "/password/forgot", {"email": email})
    post_form(client, "/register/resend", {"email": email})
    assert len(paces["password_forgot"].waits) == 1
    assert len(paces["register_resend"].waits) == 1


@pytest.mark.parametrize("email", [KNOWN, UNKNOWN])
def test_registration_is_held_whether_or_not_the_address_is_taken(app, client, paces, email):
    """Registering a taken or a free address waits for the floor alike."""
    make_account(app, KNOWN)
    answers = record_captcha_answers(app)
    response = register(client, answers, email=email, email_confirm=email)
    assert response.status_code == 302
    assert len(paces["register"].waits) == 1


def test_the_switch_turns_holding_off(app, client, paces):
    """STEADY_ANSWERS = false: no answer is held."""
    app.config["STEADY_ANSWERS"] = False
    login(client, UNKNOWN, "Pas-le-bon-2026")
    assert paces["login"].waits == []
