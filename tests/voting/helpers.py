"""The voting tests' two worlds and the votes made in them through the services.

``VOTES_WORLD`` (the pages' tests): one area with a person in every role, three practices in one
PCN, and an LMC officer of another area. ``WEIGHTED_WORLD`` (the services' tests): an LMC
officer, a PCN and four practices with known list sizes, a partner in each and a manager.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portal.accounts.models import Role
from portal.database import utcnow
from portal.voting import casting, closing, services
from portal.voting.models import BallotSecrecy, Vote, VoteKind
from tests.factories import Org, Person, World, federation, ics, lmc, pcn

VOTES_WORLD: dict[str, Any] = {
    "slug": "staffs",
    "name": "Staffordshire Test ICB",
    "organisations": [
        pcn("pcn", ods_code="U90001", name="North Stoke PCN"),
        Org("practice", ods_code="M80001", name="Riverside Surgery", list_size=12000, pcn="pcn"),
        Org("second", ods_code="M80002", name="Hillside Practice", list_size=6000, pcn="pcn"),
        Org("third", ods_code="M80003", name="Brookside Health", list_size=3000, pcn="pcn"),
        federation(ods_code="FED01", name="Stoke GP Federation"),
        lmc(ods_code="LMC01", name="Staffordshire LMC"),
        ics(ods_code="QXX", name="ICS"),
        lmc("elsewhere_lmc", area="elsewhere"),
    ],
    "people": [
        Person(
            Role.GP_PARTNER, "practice", Role.GP_PARTNER, name="Priya Partner", aliases=("partner",)
        ),
        Person(Role.PRACTICE_MANAGER, "practice", Role.PRACTICE_MANAGER),
        Person(Role.PCN_CLINICAL_DIRECTOR, "pcn", Role.PCN_CLINICAL_DIRECTOR),
        Person(Role.FEDERATION_DIRECTOR, "federation", Role.FEDERATION_DIRECTOR),
        Person(
            Role.LMC_OFFICER, "lmc", Role.LMC_OFFICER, name="Olive Officer", aliases=("officer",)
        ),
        Person(Role.ICS_READER, "ics", Role.ICS_READER),
        Person(Role.AREA_ADMIN, "lmc", Role.AREA_ADMIN),
        Person("other_area", "elsewhere_lmc", Role.LMC_OFFICER),
        Person("second_partner", "second", Role.GP_PARTNER, name="Sam Second"),
        Person("third_partner", "third", Role.GP_PARTNER),
    ],
    "other_areas": [("elsewhere", "elsewhere", "Elsewhere ICB")],
    "section": "votes",
}

EQUAL_MOTION = {
    "weighting": {"scheme": "equal"},
    "blocks": None,
    "cap": None,
    "quorum": None,
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


def equal_vote_details(**changes: Any) -> services.VoteDetails:
    """An equal-weight motion of the practices, open from an hour ago for three days."""
    now = utcnow()
    values: dict[str, Any] = {
        "title": "Enhanced access model",
        "question": "Should the LMC support the ICB's enhanced access model?",
        "body_markdown": "The ICB proposes **one hub** per PCN.",
        "kind": VoteKind.MOTION,
        "secrecy": BallotSecrecy.OPEN,
        "options": [],
        "voting_kinds": ["practice"],
        "pcn_codes": None,
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=3),
        "rules": dict(EQUAL_MOTION),
    }
    values.update(changes)
    return services.VoteDetails(**values)


def make_vote(world: World, db: Any, state: str = "open", **changes: Any) -> Vote:
    """A vote of ``VOTES_WORLD`` in ``state``: draft, open, or closed (with Riverside's ballot
    for)."""
    vote = services.create_vote(world.officer, world.area, equal_vote_details(**changes))
    if state != "draft":
        services.open_vote(world.officer, vote, utcnow())
    if state == "closed":
        casting.cast_ballot(world.partner, vote, world.practice, "for", utcnow())
        close_by_moving_time(vote)
        closing.close_vote(vote, utcnow())
    db.session.commit()
    return vote


def close_by_moving_time(vote: Vote) -> None:
    """Move the vote's closing time into the past (the CHECK wants opening before closing)."""
    vote.opens_at = utcnow() - timedelta(days=2)
    vote.closes_at = utcnow() - timedelta(seconds=1)


WEIGHTED_WORLD: dict[str, Any] = {
    "organisations": [
        lmc(ods_code="LMC1"),
        pcn("pcn", ods_code="U10001"),
        *(
            Org(code, ods_code=code, list_size=size, pcn="pcn", group="practices")
            for code, size in (
                ("A10001", 4000),
                ("A10002", 6000),
                ("A10003", 10000),
                ("A10004", 20000),
            )
        ),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
        *(
            Person(f"partner_{code}", code, Role.GP_PARTNER, group="partners")
            for code in ("A10001", "A10002", "A10003", "A10004")
        ),
        Person("manager", "A10001", Role.PRACTICE_MANAGER),
    ],
}

MOTION_RULES = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": "1/2", "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


def weighted_vote_details(**changes: Any) -> services.VoteDetails:
    """A motion weighted by list size, half the members for a quorum, open from five minutes
    ago for three days."""
    now = utcnow()
    values: dict[str, Any] = {
        "title": "Enhanced access model",
        "question": "Should the LMC support the ICB's enhanced access model?",
        "body_markdown": "The ICB proposes **one hub** per PCN.",
        "kind": VoteKind.MOTION,
        "secrecy": BallotSecrecy.OPEN,
        "options": [],
        "voting_kinds": ["practice"],
        "pcn_codes": None,
        "opens_at": now - timedelta(minutes=5),
        "closes_at": now + timedelta(days=3),
        "rules": dict(MOTION_RULES),
    }
    values.update(changes)
    return services.VoteDetails(**values)


def open_weighted_vote(world: World, db: Any, **changes: Any) -> Vote:
    """A vote of ``WEIGHTED_WORLD``'s officer, opened now."""
    vote = services.create_vote(world.officer, world.area, weighted_vote_details(**changes))
    services.open_vote(world.officer, vote, utcnow())
    db.session.commit()
    return vote
