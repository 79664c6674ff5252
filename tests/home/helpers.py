"""A small world (``HOME_WORLD``): an LMC officer, a PCN and two practices with a partner
each; and open votes in it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portal.accounts.models import Role
from portal.database import utcnow
from portal.extensions import db
from portal.voting import services as voting_services
from portal.voting.models import BallotSecrecy, VoteKind
from tests.factories import Org, Person, World, lmc, pcn

RULES = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": None, "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


HOME_WORLD: dict[str, Any] = {
    "organisations": [
        lmc(ods_code="LMC1"),
        pcn("pcn", ods_code="U10001"),
        Org("practice", ods_code="A10001", name="HORSEFAIR PRACTICE", list_size=1000, pcn="pcn"),
        Org("other", ods_code="A10002", list_size=3000, pcn="pcn"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER),
        Person("partner", "practice", Role.GP_PARTNER),
        Person("other_partner", "other", Role.GP_PARTNER),
    ],
}


def open_vote_closing_in(
    world: World, title: str, closes_in: timedelta, secrecy: BallotSecrecy = BallotSecrecy.OPEN
):
    """A vote of ``HOME_WORLD``'s practices, opened five minutes ago by the officer."""
    now = utcnow()
    details = voting_services.VoteDetails(
        title=title,
        question="Should we?",
        body_markdown="",
        kind=VoteKind.MOTION,
        secrecy=secrecy,
        options=[],
        voting_kinds=["practice"],
        pcn_codes=None,
        opens_at=now - timedelta(minutes=5),
        closes_at=now + closes_in,
        rules=dict(RULES),
    )
    vote = voting_services.create_vote(world.officer, world.area, details)
    voting_services.open_vote(world.officer, vote, now)
    db.session.commit()
    return vote
