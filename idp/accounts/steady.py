"""Steady answers: the forms that could tell whether an account exists (sign-in,
forgotten password, registration, confirmation re-sent) answer after the same time
whichever way they went.

Doing the same work in both branches is the first defence (one bcrypt check for an
unknown address, the mail prepared for a stand-in, see login.py and registration.py),
but one branch still writes a row the other does not: about a millisecond, which a
patient attacker can measure (scripts/bench_enumeration.py did). So each such answer is
held until a floor: a high quantile of this form's recent natural durations, with a
margin. The floor moves with the machine's speed and load, never with the branch taken;
only an answer slower than the floor (a pause of the whole process, which either branch
can meet) goes out at its own time.

Written by hand: no library paces answers (Flask-Limiter counts them, it does not hold
them). Per process, thread-safe; each gunicorn worker learns its own floor.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app, g

WINDOW = 128  # recent durations kept per form
QUANTILE = 0.95
MARGIN = 1.25  # floor = quantile × margin: few natural answers go past it
WARM_UP = 8  # below this many durations, the floor is the slowest one seen


class Pace:
    """The recent natural durations of one form's answers, and the floor they give."""

    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._durations: deque[float] = deque(maxlen=WINDOW)
        self._lock = threading.Lock()
        self.clock = clock
        self.sleep = sleep

    def floor(self) -> float:
        """Seconds every answer of this form should take, from the durations seen so far."""
        with self._lock:
            durations = sorted(self._durations)
        if not durations:
            return 0.0
        if len(durations) < WARM_UP:
            return durations[-1] * MARGIN
        return durations[min(len(durations) - 1, int(QUANTILE * len(durations)))] * MARGIN

    def hold(self, started: float) -> None:
        """Record this answer's natural duration (since `started`), then wait until the
        floor computed before it was recorded."""
        floor = self.floor()
        elapsed = self.clock() - started
        with self._lock:
            self._durations.append(elapsed)
        if elapsed < floor:
            self.sleep(floor - elapsed)


_paces_lock = threading.Lock()


def pace_of(name: str) -> Pace:
    """This application's pace for the form `name` (created at its first answer)."""
    with _paces_lock:
        paces: dict[str, Pace] = current_app.extensions.setdefault("compte.steady", {})
        return paces.setdefault(name, Pace())


def not_secret() -> None:
    """This answer tells nothing about any account (a form error, a successful sign-in):
    send it at once and keep its duration out of the floor."""
    g.steady_exempt = True


@contextmanager
def steady_answer(name: str) -> Iterator[None]:
    """Hold the answer computed in the block to the floor of the form `name`
    (STEADY_ANSWERS), unless the block called `not_secret()` or raised."""
    if not current_app.config["STEADY_ANSWERS"]:
        yield
        return
    pace = pace_of(name)
    started = pace.clock()
    g.steady_exempt = False
    yield
    if not g.steady_exempt:
        pace.hold(started)
