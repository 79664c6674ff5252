"""The calendar arithmetic of an agreement's terms: a day some calendar months on (minimum
terms, notice periods, reports due) and a day written out in words for messages and pages.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months on, or the month's last day if it is shorter
    (31 January plus one month is 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def long_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
