"""Dates and times in words, in London time: "closes tomorrow at 17:00".

Every moment is stored in UTC; people read it on the clock in England (Europe/London, GMT in
winter and BST in summer), so days are counted on London's calendar, not in 24-hour blocks:
a vote closing at 17:00 on the day after the clocks change still "closes tomorrow at 17:00".

For a moment still to come (``closes`` is the verb; any verb can be given):

- less than a minute away: "closes in less than a minute"
- less than an hour away: "closes in 1 minute", "closes in 40 minutes"
- later the same London day: "closes today at 17:00"
- the next London day: "closes tomorrow at 17:00"
- later: "closes on Friday 4 December at 17:00", with the year when it is not this year's

For a moment gone (``closed``):

- less than a minute ago: "closed just now"
- less than an hour ago: "closed 1 minute ago", "closed 40 minutes ago"
- earlier the same London day: "closed today at 09:00"
- the London day before: "closed yesterday at 17:00"
- up to 30 London days before: "closed 3 days ago"
- earlier: "closed on 4 December 2026"

Times are on the 24-hour clock. Naive datetimes are refused: a moment without its zone could
be read an hour out.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
RECENT_DAYS = 30


def in_london(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a moment needs its time zone to be shown in London time")
    return moment.astimezone(LONDON)


def clock(moment: datetime) -> str:
    """The London time of day: "17:00"."""
    return f"{in_london(moment):%H:%M}"


def day_and_date(moment: datetime, now: datetime) -> str:
    """ "Friday 4 December", with the year when it is not this London year's."""
    local = in_london(moment)
    text = f"{local:%A} {local.day} {local:%B}"
    if local.year != in_london(now).year:
        text += f" {local.year}"
    return text


def moment_in_words(
    moment: datetime, now: datetime, *, future_verb: str = "closes", past_verb: str = "closed"
) -> str:
    """The moment as the module's rules say, seen from ``now``."""
    local, local_now = in_london(moment), in_london(now)
    days = (local.date() - local_now.date()).days
    seconds = (moment - now).total_seconds()
    at = f"at {clock(moment)}"
    if seconds >= 0:
        if seconds < 60:
            return f"{future_verb} in less than a minute"
        if seconds < 3600:
            return f"{future_verb} in {_minutes(seconds)}"
        if days == 0:
            return f"{future_verb} today {at}"
        if days == 1:
            return f"{future_verb} tomorrow {at}"
        return f"{future_verb} on {day_and_date(moment, now)} {at}"
    if -seconds < 60:
        return f"{past_verb} just now"
    if -seconds < 3600:
        return f"{past_verb} {_minutes(-seconds)} ago"
    if days == 0:
        return f"{past_verb} today {at}"
    if days == -1:
        return f"{past_verb} yesterday {at}"
    if -days <= RECENT_DAYS:
        return f"{past_verb} {-days} days ago"
    return f"{past_verb} on {_long_date(local.date())}"


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
