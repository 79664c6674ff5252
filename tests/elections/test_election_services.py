"""Election services on a real database: an electorate of organisations with whole-number
weights, the weighted count and its BLT file, the email after commit, and refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal import mail
from portal.accounts.models import Role
from portal.database import utcnow
from portal.elections import ballots, closing, electors, nominations, setup
from portal.elections.count import parse_blt
from portal.elections.models import ElectionState, ElectorateKind
from portal.errors import DomainError, NotPermitted
from portal.extensions import db
from portal.organisations.models import OrganisationKind
from tests.factories import Org, Person, World, election_details, lmc, make_world


def details(**changes) -> setup.ElectionDetails:
    """An open election of the federation's board by practices, weighted in bands of 5,000."""
    board = {
        "title": "Federation board",
        "electorate_kind": ElectorateKind.ORGANISATIONS,
        "roles": [],
        "kinds": [OrganisationKind.PRACTICE],
        "weighting": "band",
        "band": 5000,
        "secret": False,
    }
    return election_details(**(board | changes))


@pytest.fixture
def setting(db) -> World:
    return make_world(
        [
            Org("big", name="Big Practice", list_size=12001),  # 3 bands
            Org("small", name="Small Practice", list_size=4000),  # 1 band
            lmc(),
        ],
        [
            Person("officer", "lmc", Role.LMC_OFFICER),
            Person("big_gp", "big", Role.GP_PARTNER, name="Beth Big"),
            Person("small_gp", "small", Role.GP_PARTNER, name="Sid Small"),
            Person("salaried", "big", Role.SALARIED_GP, name="Sal Aried"),
            Person("manager", "small", Role.PRACTICE_MANAGER, name="Mo Manager"),
        ],
    )


def test_organisations_vote_with_whole_number_weights_and_the_quota_counts_votes(setting) -> None:
    election = setup.create_election(setting["officer"], setting["area"], details(), utcnow())
    weights = {e.label: e.weight for e in election.electors}
    assert weights == {"Big Practice": 3, "Small Practice": 1}
    big, small = (
        next(e for e in election.electors if e.label == n)
        for n in ("Big Practice", "Small Practice")
    )
    # A salaried GP may stand for an organisation's election but does not cast its ballot.
    assert electors.electors_for(setting["salaried"], election) == []
    mo = nominations.nominate(setting["small_gp"], election, small, setting["manager"], utcnow())
    nominations.second(setting["big_gp"], mo, big, utcnow())
    nominations.accept(setting["manager"], mo, "", utcnow())
    sal = nominations.nominate(setting["big_gp"], election, big, setting["salaried"], utcnow())
    nominations.second(setting["small_gp"], sal, small, utcnow())
    nominations.accept(setting["salaried"], sal, "Hello", utcnow())
    election.nominations_open_at = utcnow() - timedelta(hours=3)
    election.nominations_close_at = utcnow() - timedelta(hours=2)
    election.voting_opens_at = utcnow() - timedelta(hours=1)
    closing.close_nominations(election, utcnow())
    assert election.state is ElectionState.VOTING
    ballots.cast(setting["big_gp"], election, big, [sal.id], utcnow())
    ballots.cast(setting["small_gp"], election, small, [mo.id, sal.id], utcnow())
    election.voting_closes_at = utcnow() - timedelta(seconds=1)
    mail.discard_queued()
    assert closing.close_due(utcnow()) == [(election, "counted")]  # what the cron task does
    # 4 votes (3 + 1), one seat: quota floor(4 / 2) + 1 = 3, which the big practice's 3 reach.
    assert election.result["quota"] == "3"
    assert election.result["elected"] == ["Sal Aried"]
    assert election.result["turnout"] == {
        "ballots": 2,
        "electors": 2,
        "weight_cast": 4,
        "weight_total": 4,
    }
    blt = parse_blt(election.ballots_blt)
    assert sorted(b.weight for b in blt.ballots) == [1, 3]
    db.session.commit()
    delivered = mail.deliver_queued()
    assert delivered == 2  # one result email to each practice's GP partner


def test_refusals_change_nothing(setting) -> None:
    with pytest.raises(DomainError, match="Nobody is in this electorate"):
        setup.create_election(
            setting["officer"],
            setting["area"],
            details(electorate_kind=ElectorateKind.PEOPLE, roles=[Role.FEDERATION_DIRECTOR]),
            utcnow(),
        )
    election = setup.create_election(setting["officer"], setting["area"], details(), utcnow())
    big, small = sorted(election.electors, key=lambda e: e.label)
    with pytest.raises(NotPermitted):
        nominations.nominate(setting["big_gp"], election, small, setting["salaried"], utcnow())
    nomination = nominations.nominate(
        setting["big_gp"], election, big, setting["salaried"], utcnow()
    )
    with pytest.raises(DomainError, match="different elector"):
        nominations.second(setting["big_gp"], nomination, big, utcnow())
    with pytest.raises(DomainError, match="must be seconded"):
        nominations.accept(setting["salaried"], nomination, "", utcnow())
    nominations.second(setting["small_gp"], nomination, small, utcnow())
    with pytest.raises(DomainError, match="301 words"):
        nominations.accept(setting["salaried"], nomination, "word " * 301, utcnow())
    with pytest.raises(DomainError, match="still open"):
        closing.close_nominations(election, utcnow())
    with pytest.raises(DomainError, match="Voting is not open"):
        ballots.cast(setting["big_gp"], election, big, [nomination.id], utcnow())
