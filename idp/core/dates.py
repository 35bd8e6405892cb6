"""Dates as people read them: in the organisation's time zone (TIME_ZONE) and in words of
the page's language — "30 novembre 2026 à 22 h 07", "il y a 5 minutes".

The database keeps naive UTC (idp/core/clock.py); Flask-Babel turns it into TIME_ZONE
(BABEL_DEFAULT_TIMEZONE, set from TIME_ZONE by idp/core/config.py). Machine outputs (JSON,
CLI --json, exports) stay ISO 8601 UTC and never go through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _
from markupsafe import Markup, escape

from idp.core.clock import utcnow

# The words of dates in Compte's two languages (idp/core/i18n.py), as Babel's CLDR data
# writes them (tests/foundation/test_dates.py compares every form with Babel's). Formatting
# through Babel loaded that data into each worker on the first date shown: 5.0 MB for French
# (its global, root and fr tables), 1.2 MB more for English, in every worker process.
MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
# Per unit, as Babel's format_timedelta(add_direction=True) words it: (future, past), each
# (one, other); the plural rule of each language: French "one" for 0 and 1, English for 1.
_RELATIVE = {
    "fr": {
        unit: (
            (f"dans {{0}} {one}", f"dans {{0}} {other}"),
            (f"il y a {{0}} {one}", f"il y a {{0}} {other}"),
        )
        for unit, one, other in (
            ("year", "an", "ans"),
            ("month", "mois", "mois"),
            ("week", "semaine", "semaines"),
            ("day", "jour", "jours"),
            ("hour", "heure", "heures"),
            ("minute", "minute", "minutes"),
        )
    },
    "en": {
        unit: (
            (f"in {{0}} {unit}", f"in {{0}} {unit}s"),
            (f"{{0}} {unit} ago", f"{{0}} {unit}s ago"),
        )
        for unit in ("year", "month", "week", "day", "hour", "minute")
    },
}
_ONE = {"fr": (0, 1), "en": (1,)}
# Babel's units (a month of 30 days, a year of 365) down to the minute, and its threshold:
# 0.85 of a unit already counts as one ("il y a 1 heure" after 51 minutes).
_UNITS = (
    ("year", 365 * 86400),
    ("month", 30 * 86400),
    ("week", 7 * 86400),
    ("day", 86400),
    ("hour", 3600),
    ("minute", 60),
)
_THRESHOLD = 0.85


def _language() -> str:
    language = getattr(get_locale(), "language", "fr")
    return language if language in MONTHS else "fr"


def _local_day(moment: datetime | date) -> date:
    """The day of a timestamp (naive UTC or aware) in TIME_ZONE; a date stays as it is."""
    return to_user_timezone(moment).date() if isinstance(moment, datetime) else moment


def _time_of_day(moment: datetime) -> str:
    """French writes "22 h 07", its spaces non-breaking (U+00A0) so that a line never ends
    on "22" and starts on "h 07"; English its CLDR short form, "10:07 PM" (U+202F)."""
    local = to_user_timezone(moment)
    if _language() == "fr":
        return f"{local.hour}\u00a0h\u00a0{local.minute:02d}"
    period = "AM" if local.hour < 12 else "PM"
    return f"{local.hour % 12 or 12}:{local.minute:02d}\u202f{period}"


def month_and_year(moment: datetime | date) -> str:
    """The month and the year: "novembre 2026" ("November 2026")."""
    local = _local_day(moment)
    return f"{MONTHS[_language()][local.month - 1]} {local.year}"


def day_month_year(moment: datetime | date) -> str:
    """Day, month, year in this order in both languages: "30 novembre 2026"."""
    local = _local_day(moment)
    return f"{local.day} {MONTHS[_language()][local.month - 1]} {local.year}"


def when(moment: datetime | None) -> str:
    """A date and time in words, in TIME_ZONE: "30 novembre 2026 à 22 h 07" ("—" if None)."""
    if moment is None:
        return "—"
    return _("%(date)s à %(time)s", date=day(moment), time=_time_of_day(moment))


def day(moment: datetime | date | None) -> str:
    """The day in words, in TIME_ZONE for a timestamp: "30 novembre 2026" ("—" if None);
    in English "November 30, 2026"."""
    if moment is None:
        return "—"
    if _language() == "fr":
        return day_month_year(moment)
    local = _local_day(moment)
    return f"{MONTHS['en'][local.month - 1]} {local.day}, {local.year}"


def in_words(delta: timedelta) -> str:
    """A time to come or gone, to the minute: "dans 3 jours", "il y a 5 minutes"."""
    language = _language()
    seconds = int(delta.days * 86400 + delta.seconds)
    for unit, unit_seconds in _UNITS:
        value = abs(seconds) / unit_seconds
        if value >= _THRESHOLD or unit == "minute":
            if unit == "minute" and value > 0:
                value = max(1, value)
            value = int(round(value))
            future, past = _RELATIVE[language][unit]
            one, other = future if seconds >= 0 else past
            return (one if value in _ONE[language] else other).replace("{0}", str(value))
    return ""  # not reached: the last unit always answers


def ago(moment: datetime | None) -> str:
    """How long ago, in words: "il y a 5 minutes" (a time to come: "dans 3 jours")."""
    if moment is None:
        return "—"
    return in_words(moment - utcnow())


def time_tag(moment: datetime | None, relative: bool = False) -> Markup:
    """<time> with the ISO 8601 UTC value for machines and words for people; `relative`
    adds "(il y a 5 minutes)" after the date."""
    if moment is None:
        return Markup("—")
    words = when(moment)
    if relative:
        words = f"{words} ({ago(moment)})"
    iso = moment.replace(microsecond=0).isoformat() + "Z"
    return Markup('<time datetime="{}">{}</time>').format(iso, escape(words))


def day_starts_at(local_day: date, zone: str) -> datetime:
    """When `local_day` begins in `zone`, as naive UTC (what the columns store): a filter
    "from 30 November" means the person's 30 November, not UTC's."""
    start = datetime.combine(local_day, time.min, tzinfo=ZoneInfo(zone))
    return start.astimezone(UTC).replace(tzinfo=None)


def init_app(app: Flask) -> None:
    """The filters of every template (pages and mails): |when, |day, |ago, |time_tag."""
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_filter(ago, "ago")
    app.add_template_filter(time_tag, "time_tag")
