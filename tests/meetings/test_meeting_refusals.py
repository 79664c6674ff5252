"""Setting up and running a meeting refuses, with why and nothing written: a series with no
name, no weekday or an impossible length; a meeting that ends before it starts, with nowhere to
meet or a chair from outside the area's group; changes by anyone but the chair and officers; minutes
approved by someone else, empty or twice; an action with no owner in the group, or done twice."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.errors import Conflict, DomainError, NotPermitted
from portal.meetings import services
from portal.meetings.models import Meeting, MeetingMode, MeetingSeries
from tests.factories import make_area, make_organisation, make_user
from tests.meetings.conftest import make_meeting

IN_PERSON = services.Where(MeetingMode.IN_PERSON, "Stafford Civic Centre", None)


def _outsider():
    """A partner of a practice in another area: not in this area's leadership group."""
    elsewhere = make_organisation(make_area(slug="far", name="Far ICB"), name="Far Surgery")
    return make_user(elsewhere, Role.GP_PARTNER)


def _count(db, model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "Enter a name for the series"),
        ({"weekday": 7}, "Choose a day of the week"),
        ({"duration_minutes": 0}, "between 1 minute and 8 hours"),
        ({"duration_minutes": 481}, "between 1 minute and 8 hours"),
    ],
)
def test_a_series_needs_a_name_a_weekday_and_a_possible_length(db, world, changes, message):
    fields = {
        "title": "Leadership group weekly",
        "weekday": 1,
        "start_time": time(12, 30),
        "duration_minutes": 30,
        "where": IN_PERSON,
        "chair": world.chair,
        **changes,
    }
    with pytest.raises(DomainError, match=message):
        services.create_series(world.officer, world.area, **fields)
    assert _count(db, MeetingSeries) == 0


def test_only_officers_set_up_a_series(db, world):
    with pytest.raises(NotPermitted, match="Only LMC officers and area administrators"):
        services.create_series(
            world.partner,
            world.area,
            title="Our own series",
            weekday=2,
            start_time=time(9),
            duration_minutes=30,
            where=IN_PERSON,
            chair=None,
        )
    assert _count(db, MeetingSeries) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Enter a name for the meeting"),
        ({"where": services.Where(MeetingMode.IN_PERSON, "  ", None)}, "Say where the meeting"),
        (
            {"where": services.Where(MeetingMode.ONLINE, None, "http://meet.example/x")},
            "starting with https://",
        ),
        ({"chair": "outsider"}, "The chair must be a member of the leadership group"),
    ],
)
def test_a_meeting_needs_a_name_somewhere_to_meet_and_a_chair_from_the_group(
    db, world, overrides, message
):
    if overrides.get("chair") == "outsider":
        overrides = {"chair": _outsider()}
    with pytest.raises(DomainError, match=message):
        make_meeting(world, **overrides)
    assert _count(db, Meeting) == 0


def test_a_meeting_ends_after_it_starts(db, world):
    meeting_start = make_meeting(world).starts_at
    with pytest.raises(DomainError, match="must end after it starts"):
        make_meeting(world, ends_at=meeting_start - timedelta(days=2))
    assert _count(db, Meeting) == 1


def test_only_the_chair_and_officers_run_the_meeting(db, world):
    meeting = make_meeting(world)
    with pytest.raises(NotPermitted, match="Only the chair and the officers"):
        services.add_decision(world.partner, meeting, "We agree the model")
    with pytest.raises(NotPermitted, match="Only the chair and the officers"):
        services.save_minutes(world.partner, meeting, "Minutes")
    assert meeting.decisions == []
    assert not meeting.minutes_markdown


def test_minutes_are_approved_once_by_the_chair_and_only_when_written(db, world):
    meeting = make_meeting(world)
    with pytest.raises(DomainError, match="Write the minutes before approving them"):
        services.approve_minutes(world.chair, meeting)
    services.save_minutes(world.chair, meeting, "We met and agreed the model.")
    with pytest.raises(NotPermitted, match="Only the meeting's chair approves"):
        services.approve_minutes(world.officer, meeting)

    services.approve_minutes(world.chair, meeting)
    with pytest.raises(Conflict, match="already approved"):
        services.approve_minutes(world.chair, meeting)
    with pytest.raises(Conflict, match="can no longer be changed"):
        services.save_minutes(world.chair, meeting, "Rewritten")
    assert meeting.minutes_markdown == "We met and agreed the model."


def test_an_action_has_an_owner_in_the_group_and_is_done_once(db, world):
    meeting = make_meeting(world)
    due = meeting.starts_at.date() + timedelta(days=7)
    with pytest.raises(DomainError, match="Describe the action"):
        services.add_action(world.chair, meeting, " ", world.partner, due)
    with pytest.raises(DomainError, match="owner must be a member of the leadership group"):
        services.add_action(world.chair, meeting, "Write to the ICB", _outsider(), due)
    action = services.add_action(world.chair, meeting, "Write to the ICB", world.partner, due)

    with pytest.raises(NotPermitted, match="Only the action's owner"):
        services.complete_action(world.other_partner, action)
    services.complete_action(world.partner, action)
    with pytest.raises(Conflict, match="already done"):
        services.complete_action(world.partner, action)
    assert len(meeting.actions) == 1
