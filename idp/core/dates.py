"""Dates as people read them: in the organisation's time zone (TIME_ZONE) and in words of
the page's language — "30 novembre 2026 à 22 h 07", "il y a 5 minutes".

The database keeps naive UTC (idp/core/clock.py); Flask-Babel turns it into TIME_ZONE
(BABEL_DEFAULT_TIMEZONE, set from TIME_ZONE by idp/core/config.py). Machine outputs (JSON,
CLI --json, exports) stay ISO 8601 UTC and never go through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import format_date, format_time, format_timedelta, get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from idp.core.clock import utcnow

# Time of day per language: French writes "22 h 07", its spaces non-breaking (U+00A0) so
# that a line never ends on "22" and starts on "h 07"; others take their locale's short form.
TIME_PATTERNS = {"fr": "H'\u00a0h\u00a0'mm"}


def _time_of_day(moment: datetime) -> str:
    language = getattr(get_locale(), "language", "fr")
    return format_time(moment, TIME_PATTERNS.get(language, "short"))


def when(moment: datetime | None) -> str:
    """A date and time in words, in TIME_ZONE: "30 novembre 2026 à 22 h 07" ("—" if None)."""
    if moment is None:
        return "—"
    return _("%(date)s à %(time)s", date=format_date(moment, "long"), time=_time_of_day(moment))


def day(moment: datetime | date | None) -> str:
    """The day in words, in TIME_ZONE for a timestamp: "30 novembre 2026" ("—" if None)."""
    if moment is None:
        return "—"
    return format_date(moment, "long")


def ago(moment: datetime | None) -> str:
    """How long ago, in words: "il y a 5 minutes" (a time to come: "dans 3 jours")."""
    if moment is None:
        return "—"
    return format_timedelta(moment - utcnow(), granularity="minute", add_direction=True)


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
