"""Time as the portal shows and reads it: Europe/London on every page, UTC in the database.

Forms, services and templates take these from here; ``portal.timewords`` says a moment in
words ("closes tomorrow at 17:00").
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def london_datetime(value: datetime | None) -> str:
    """ "3 March 2026 at 17:00" in London time; empty for no value."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def long_date(value: date | datetime | None) -> str:
    """ "3 March 2026"; a datetime is taken in London time first."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {value:%B %Y}"


def parse_date(text: str, *, day_first: bool = False) -> date:
    """A date written ``2026-03-31``; with ``day_first``, also ``31/3/2026`` (or with dots or
    dashes), as people type it. Raises ValueError for anything else or a day that does not
    exist."""
    text = text.strip()
    if day_first and (match := _DAY_MONTH_YEAR.match(text)):
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    if not _ISO_DATE.match(text):
        raise ValueError(f"{text!r} is not a date like 2026-03-31")
    return date.fromisoformat(text)
