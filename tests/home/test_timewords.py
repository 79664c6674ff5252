"""Dates and times in words in London time (portal/timewords.py), across the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.timewords import LONDON, clock, moment_in_words


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


NOW = utc(2026, 12, 1, 10, 0)  # Tuesday 1 December 2026, 10:00 GMT


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (NOW + timedelta(seconds=30), "closes in less than a minute"),
        (NOW + timedelta(minutes=1), "closes in 1 minute"),
        (NOW + timedelta(minutes=40, seconds=59), "closes in 40 minutes"),
        (utc(2026, 12, 1, 17, 0), "closes today at 17:00"),
        (utc(2026, 12, 2, 17, 0), "closes tomorrow at 17:00"),
        (utc(2026, 12, 2, 0, 0), "closes tomorrow at 00:00"),
        (utc(2026, 12, 4, 17, 0), "closes on Friday 4 December at 17:00"),
        (utc(2027, 1, 8, 9, 30), "closes on Friday 8 January 2027 at 09:30"),
        (NOW - timedelta(seconds=59), "closed just now"),
        (NOW - timedelta(minutes=5), "closed 5 minutes ago"),
        (utc(2026, 12, 1, 8, 0), "closed today at 08:00"),
        (utc(2026, 11, 30, 17, 0), "closed yesterday at 17:00"),
        (utc(2026, 11, 28, 17, 0), "closed 3 days ago"),
        (utc(2026, 11, 1, 12, 0), "closed 30 days ago"),
        (utc(2026, 10, 31, 12, 0), "closed on 31 October 2026"),
    ],
)
def test_moments_in_words(moment: datetime, words: str) -> None:
    assert moment_in_words(moment, NOW) == words


def test_other_verbs() -> None:
    assert (
        moment_in_words(utc(2026, 12, 4, 17), NOW, future_verb="due", past_verb="was due")
        == "due on Friday 4 December at 17:00"
    )


def test_spring_forward_tomorrow_is_the_london_day_after() -> None:
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026: 17:00 BST is 16:00 UTC.
    saturday_noon = utc(2026, 3, 28, 12, 0)
    assert moment_in_words(utc(2026, 3, 29, 16, 0), saturday_noon) == "closes tomorrow at 17:00"
    # 23:30 on Saturday to 00:30 BST on Sunday is one hour of clock, but the next day.
    assert moment_in_words(utc(2026, 3, 28, 23, 30), saturday_noon) == "closes today at 23:30"
    assert moment_in_words(utc(2026, 3, 28, 23, 45), utc(2026, 3, 28, 23, 30)) == (
        "closes in 15 minutes"
    )


def test_fall_back_reads_the_clock_in_gmt_again() -> None:
    # Clocks go back at 01:00 UTC on Sunday 25 October 2026: 17:00 GMT is 17:00 UTC.
    saturday_noon = utc(2026, 10, 24, 11, 0)  # 12:00 BST
    assert moment_in_words(utc(2026, 10, 25, 17, 0), saturday_noon) == "closes tomorrow at 17:00"
    assert moment_in_words(utc(2026, 10, 24, 16, 0), saturday_noon) == "closes today at 17:00"
    # 01:30 happens twice that night; each reads 01:30 on the clock.
    assert clock(utc(2026, 10, 25, 0, 30)) == "01:30"
    assert clock(utc(2026, 10, 25, 1, 30)) == "01:30"


def test_a_vote_that_closed_before_the_clocks_changed_counts_london_days() -> None:
    monday = utc(2026, 3, 30, 9, 0)  # 10:00 BST
    assert moment_in_words(utc(2026, 3, 27, 17, 0), monday) == "closed 3 days ago"


def test_a_moment_without_its_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        moment_in_words(datetime(2026, 12, 1, 17, 0), NOW)


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)


@given(moments, moments)
def test_every_moment_says_whether_it_is_to_come_and_shows_the_london_clock(
    moment: datetime, now: datetime
) -> None:
    words = moment_in_words(moment, now)
    assert words.startswith("closes ") == (moment >= now)
    if " at " in words:
        assert words.endswith(f"at {moment.astimezone(LONDON):%H:%M}")


@given(moments, st.integers(min_value=2, max_value=300))
def test_days_count_london_calendar_days(now: datetime, days: int) -> None:
    later = now + timedelta(days=days)
    words = moment_in_words(later, now)
    local = later.astimezone(LONDON)
    assert f"{local:%A} {local.day} {local:%B}" in words or "tomorrow" in words
