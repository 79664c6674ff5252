"""References an agenda item may carry, and when a weekly series next meets (across the
clock changes)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.meetings.models import MeetingMode, MeetingSeries
from portal.meetings.references import BadReference, parse_reference
from portal.meetings.services import next_occurrence
from portal.times import LONDON


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("vote 12", "vote 12"),
        ("Vote #12", "vote 12"),
        (" agreement 3 ", "agreement 3"),
        ("/areas/x/needs/4", "/areas/x/needs/4"),
        ("https://example.nhs.uk/paper.pdf", "https://example.nhs.uk/paper.pdf"),
    ],
)
def test_accepted_references(typed: str, stored: str) -> None:
    assert parse_reference(typed).stored == stored


@pytest.mark.parametrize(
    "typed", ["javascript:alert(1)", "//evil.example/x", "http://plain.example", "ballot 3", ""]
)
def test_refused_references(typed: str) -> None:
    with pytest.raises(BadReference, match="for example"):
        parse_reference(typed)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)),
    st.integers(0, 6),
    st.times(),
)
def test_the_next_meeting_is_on_its_day_at_its_london_time_within_a_week(
    after: datetime, weekday: int, start: time
) -> None:
    series = MeetingSeries(
        weekday=weekday,
        start_time=start.replace(second=0, microsecond=0),
        duration_minutes=30,
        mode=MeetingMode.ONLINE,
    )
    moment = after.replace(tzinfo=UTC)
    starts, ends = next_occurrence(series, moment)
    local = starts.astimezone(LONDON)
    assert starts > moment
    assert starts - moment <= timedelta(days=8)
    assert local.weekday() == weekday
    assert ends - starts == timedelta(minutes=30)
