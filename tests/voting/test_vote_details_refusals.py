"""A vote's details are refused, with what to put right, before anything is written: a blank
title, a closing time before the opening, no kinds of organisation, an empty named electorate,
options a choice cannot have. Opening is refused once it is open or once its closing time has
passed, and for anyone but an officer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.database import utcnow
from portal.errors import Conflict, DomainError, NotPermitted
from portal.voting import services
from portal.voting.models import BallotSecrecy, Vote, VoteKind, VoteState
from tests.factories import Org, Person, lmc, make_world

RULES = {
    "weighting": {"scheme": "equal"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": None, "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}

# One practice, so the electorate of an opened vote is one organisation.
OFFICER_AND_PARTNER_WORLD = {
    "organisations": [lmc(ods_code="LMC1"), Org("practice", ods_code="A10001", list_size=4000)],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER),
        Person("partner", "practice", Role.GP_PARTNER),
    ],
}


def _details(**changes):
    now = utcnow()
    values = {
        "title": "Enhanced access model",
        "question": "Should the LMC support the ICB's enhanced access model?",
        "body_markdown": "",
        "kind": VoteKind.MOTION,
        "secrecy": BallotSecrecy.OPEN,
        "options": [],
        "voting_kinds": ["practice"],
        "pcn_codes": None,
        "opens_at": now - timedelta(minutes=5),
        "closes_at": now + timedelta(days=3),
        "rules": dict(RULES),
    }
    values.update(changes)
    return services.VoteDetails(**values)


@pytest.fixture
def people(db):
    world = make_world(**OFFICER_AND_PARTNER_WORLD)
    return world.area, world.officer, world.partner


def _votes(db) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Vote)).scalar_one()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "Enter a title and a question"),
        ({"question": ""}, "Enter a title and a question"),
        ({"closes_at": utcnow() - timedelta(minutes=10)}, "closing time must be after"),
        ({"voting_kinds": []}, "Choose which kinds of organisation vote"),
        ({"voting_kinds": ["practice", "icb"]}, "Choose which kinds of organisation vote"),
        ({"organisation_ids": []}, "Name at least one organisation to vote"),
        (
            {"kind": VoteKind.CHOICE, "options": ["Hub A", " ", "Hub A"]},
            "A choice needs two or more different options",
        ),
        (
            {"kind": VoteKind.CHOICE, "options": ["Hub A", "abstain"]},
            "A choice cannot have an option called abstain",
        ),
        (
            {"kind": VoteKind.CHOICE, "options": ["Hub A", "H" * 101]},
            "Each option must be 100 characters or fewer",
        ),
    ],
)
def test_bad_details_are_refused_and_no_vote_is_made(db, people, changes, message):
    area, officer, _ = people

    with pytest.raises(DomainError, match=message):
        services.create_vote(officer, area, _details(**changes))

    assert _votes(db) == 0


def test_only_an_officer_creates_changes_or_opens_a_vote(db, people):
    area, officer, partner = people
    with pytest.raises(NotPermitted):
        services.create_vote(partner, area, _details())
    vote = services.create_vote(officer, area, _details())

    with pytest.raises(NotPermitted):
        services.update_vote(partner, vote, _details(title="Changed"))
    with pytest.raises(NotPermitted):
        services.open_vote(partner, vote, utcnow())

    assert vote.title == "Enhanced access model"
    assert vote.state is VoteState.DRAFT


def test_a_vote_opens_once_and_not_after_its_closing_time(db, people):
    area, officer, _ = people
    late = services.create_vote(officer, area, _details())
    with pytest.raises(DomainError, match="The closing time has passed"):
        services.open_vote(officer, late, late.closes_at + timedelta(seconds=1))
    assert late.state is VoteState.DRAFT
    assert late.electorate == []

    services.open_vote(officer, late, utcnow())
    with pytest.raises(Conflict, match="already been opened"):
        services.open_vote(officer, late, utcnow())
    assert len(late.electorate) == 1
