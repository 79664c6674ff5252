"""An area with a PCN, two practices, the LMC and the ICS: an LMC officer, a chair (a GP
partner), two more partners, and an ICS reader."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from portal.accounts.models import Role
from portal.extensions import db
from portal.meetings import services
from portal.meetings.models import Meeting, MeetingMode, MeetingSeries
from tests.factories import Org, Person, World, ics, lmc, make_world, pcn

MEETINGS_WORLD = {
    "organisations": [
        pcn("pcn", name="Alpha PCN"),
        Org("practice_1", pcn="pcn", name="Hill Surgery"),
        Org("practice_2", pcn="pcn", name="Vale Practice"),
        lmc(name="The LMC"),
        ics(name="The ICB"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
        Person("chair", "practice_1", Role.GP_PARTNER, name="Dr Carol Chair"),
        Person("partner", "practice_2", Role.GP_PARTNER, name="Dr Pat Partner"),
        Person("other_partner", "practice_2", Role.GP_PARTNER, name="Dr Otto Other"),
        Person("ics_reader", "ics", Role.ICS_READER),
    ],
    "section": "meetings/",
}


@pytest.fixture
def world(db) -> World:
    return make_world(**MEETINGS_WORLD)


def make_series(world: World) -> MeetingSeries:
    series = services.create_series(
        world.officer,
        world.area,
        title="Leadership group weekly",
        weekday=1,
        start_time=time(12, 30),
        duration_minutes=30,
        where=services.Where(MeetingMode.IN_PERSON, "Stafford Civic Centre", None),
        chair=world.chair,
    )
    db.session.commit()
    return series


def make_meeting(world: World, days_from_now: float = 2, **overrides) -> Meeting:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days_from_now)
    fields = {
        "title": "Leadership group",
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=30),
        "where": services.Where(MeetingMode.ONLINE, None, "https://meet.example.nhs.uk/abc"),
        "chair": world.chair,
    }
    fields.update(overrides)
    meeting = services.create_meeting(world.officer, world.area, **fields)
    db.session.commit()
    return meeting
