"""An election's timetable runs forward (nominations close in the future, voting opens no
earlier and closes after it opens), its electorate is not empty, and weighting by list size
needs every practice's list size: otherwise it is refused with why and nothing is set up."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.database import utcnow
from portal.elections import nominations, setup
from portal.elections.models import Election, ElectorateKind
from portal.errors import DomainError
from portal.organisations.models import OrganisationKind
from tests.factories import election_details, make_area, make_organisation, make_user

NOW = utcnow()


def _details(**changes) -> setup.ElectionDetails:
    board = {
        "title": "Federation board",
        "electorate_kind": ElectorateKind.ORGANISATIONS,
        "roles": [],
        "kinds": [OrganisationKind.PRACTICE],
        "weighting": "list_size",
        "secret": False,
    }
    return election_details(NOW, **(board | changes))


@pytest.fixture
def area_and_officer(db):
    area = make_area()
    make_organisation(area, name="Hill Surgery", list_size=6000)
    lmc = make_organisation(area, OrganisationKind.LMC)
    return area, make_user(lmc, Role.LMC_OFFICER)


def _elections(db) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Election)).scalar_one()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nominations_close_at": NOW - timedelta(minutes=1)}, "Nominations must close in the"),
        (
            {"voting_opens_at": NOW + timedelta(minutes=30)},
            "Voting cannot open before nominations close",
        ),
        ({"voting_closes_at": NOW + timedelta(hours=1)}, "Voting must close after it opens"),
        ({"kinds": [OrganisationKind.FEDERATION]}, "Nobody is in this electorate"),
    ],
)
def test_a_timetable_that_runs_backwards_or_an_empty_electorate_is_refused(
    db, area_and_officer, changes, message
):
    area, officer = area_and_officer

    with pytest.raises(DomainError, match=message):
        setup.create_election(officer, area, _details(**changes), NOW)

    assert _elections(db) == 0


def test_weighting_by_list_size_needs_every_practices_list_size(db, area_and_officer):
    area, officer = area_and_officer
    make_organisation(area, name="New Surgery", list_size=None)

    with pytest.raises(DomainError, match="New Surgery has no list size"):
        setup.create_election(officer, area, _details(), NOW)
    assert _elections(db) == 0

    equal = setup.create_election(officer, area, _details(weighting="equal"), NOW)
    assert sorted(elector.weight for elector in equal.electors) == [1, 1]


def test_only_someone_of_an_elector_organisation_can_be_nominated(db, area_and_officer):
    area, officer = area_and_officer
    partner = make_user(make_organisation(area, name="Vale Practice"), Role.GP_PARTNER)
    elsewhere = make_organisation(make_area(slug="far", name="Far ICB"), name="Far Surgery")
    stranger = make_user(elsewhere, Role.GP_PARTNER, name="Sam Stranger")
    election = setup.create_election(officer, area, _details(weighting="equal"), NOW)
    (elector,) = [
        e for e in election.electors if e.organisation_id == partner.memberships[0].organisation_id
    ]

    with pytest.raises(DomainError, match="Sam Stranger cannot stand in this election"):
        nominations.nominate(partner, election, elector, stranger, NOW)
    assert election.nominations == []
