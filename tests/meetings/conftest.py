"""An area with a PCN, two practices, the LMC and the ICS: an LMC officer, a chair (a GP
partner), two more partners, and an ICS reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest

from portal.accounts.models import Role, User
from portal.extensions import db
from portal.meetings import services
from portal.meetings.models import Meeting, MeetingMode, MeetingSeries
from portal.organisations.models import Area, Organisation, OrganisationKind
from tests.factories import make_area, make_organisation, make_user


@dataclass
class World:
    area: Area
    practice_1: Organisation
    practice_2: Organisation
    officer: User
    chair: User
    partner: User
    other_partner: User
    ics_reader: User

    def url(self, rest: str = "") -> str:
        return f"/areas/{self.area.slug}/meetings/{rest}"


@pytest.fixture
def world(db) -> World:
    area = make_area()
    pcn = make_organisation(area, OrganisationKind.PCN, name="Alpha PCN")
    practice_1 = make_organisation(area, pcn=pcn, name="Hill Surgery")
    practice_2 = make_organisation(area, pcn=pcn, name="Vale Practice")
    lmc = make_organisation(area, OrganisationKind.LMC, name="The LMC")
    ics = make_organisation(area, OrganisationKind.ICS, name="The ICB")
    return World(
        area=area,
        practice_1=practice_1,
        practice_2=practice_2,
        officer=make_user(lmc, Role.LMC_OFFICER, name="Olive Officer"),
        chair=make_user(practice_1, Role.GP_PARTNER, name="Dr Carol Chair"),
        partner=make_user(practice_2, Role.GP_PARTNER, name="Dr Pat Partner"),
        other_partner=make_user(practice_2, Role.GP_PARTNER, name="Dr Otto Other"),
        ics_reader=make_user(ics, Role.ICS_READER),
    )


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
