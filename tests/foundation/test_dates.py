"""The words of dates (idp/core/dates.py) are Babel's, without loading Babel's locale data
into every worker: each form compared with flask_babel's, in both languages."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from babel import dates as babel_dates
from flask_babel import format_date, format_time, get_locale

from idp.core import dates
from idp.core.i18n import LANGUAGES

# Around the changes of time in Europe/Paris, midnight, noon, and a few hundred more.
_rng = random.Random(2026)
MOMENTS = [
    datetime(2026, 3, 29, 0, 59),
    datetime(2026, 3, 29, 1, 0),
    datetime(2026, 10, 25, 0, 59),
    datetime(2026, 10, 25, 1, 0),
    datetime(2026, 12, 31, 23, 30),
    datetime(2026, 1, 1, 0, 0),
    datetime(2026, 6, 1, 10, 0),
    datetime(2026, 6, 1, 11, 5),
    datetime(1999, 2, 28, 23, 0),
] + [datetime(2000, 1, 1) + timedelta(minutes=_rng.randrange(40 * 525600)) for _ in range(300)]
SECONDS = sorted(
    {0, 1, 29, 30, 31, 59, 60, 61, 89, 90, 3059, 3060, 3061, 86399, 86400, 7 * 86400}
    | {_rng.randrange(-(10**9), 10**9) for _ in range(400)}
    | {
        int(u * f)
        for u in (60, 3600, 86400, 604800, 2592000, 31536000)
        for f in (0.84, 0.85, 1.5, 2.5, 11.6)
    }
)


@pytest.fixture(params=["fr", "en"])
def language(app, request):
    with app.test_request_context(headers={"Accept-Language": request.param}):
        assert get_locale().language == request.param
        yield request.param


def test_every_language_of_compte_has_its_words():
    """A language added to idp/core/i18n.py without its date words fails here, not in
    French by mistake."""
    assert set(LANGUAGES) == set(dates.MONTHS) == set(dates._RELATIVE) == set(dates._ONE)


def test_days_and_times_are_babels(language):
    """Days, months and times of day read as Babel writes them, clock changes included."""
    for moment in MOMENTS:
        assert dates.day(moment) == format_date(moment, "long")
        assert dates.day(moment.date()) == format_date(moment.date(), "long")
        assert dates.month_and_year(moment.date()) == format_date(moment.date(), "MMMM y")
        assert dates.day_month_year(moment.date()) == format_date(moment.date(), "d MMMM y")
        pattern = "H'\u00a0h\u00a0'mm" if language == "fr" else "short"
        assert dates.when(moment).endswith(format_time(moment, pattern))
        assert dates.when(moment).startswith(format_date(moment, "long"))


def test_durations_are_babels(language):
    """Times to come and gone, to the minute, rounded as Babel rounds them."""
    for seconds in SECONDS:
        delta = timedelta(seconds=seconds)
        expected = babel_dates.format_timedelta(
            delta, "minute", threshold=0.85, add_direction=True, locale=get_locale()
        )
        assert dates.in_words(delta) == expected, seconds


def test_examples(app):
    """What a person reads, in French and in English."""
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert dates.when(datetime(2026, 11, 30, 21, 7)) == "30 novembre 2026 à 22\u00a0h\u00a007"
        assert dates.in_words(timedelta(minutes=-5)) == "il y a 5 minutes"
        assert dates.day(date(2026, 8, 1)) == "1 août 2026"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert dates.day(date(2026, 11, 30)) == "November 30, 2026"
        assert dates.in_words(timedelta(days=3, seconds=5)) == "in 3 days"
