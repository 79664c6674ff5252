"""The statements tests' world (``STATEMENTS_WORLD``): an LMC (officer and administrator), a
federation, a PCN of four practices (partners and a practice manager), an ICS reader, and (when
asked for) a member of another area; with votes closed through the voting services and agreed
positions ready to publish: what the statements tests (and the browser tests) start from."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.accounts.models import Role, User
from portal.database import utcnow
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.positions.models import Position, PositionState, Proposal, Revision
from portal.statements import services
from portal.statements.models import SignatoryChoice, Statement
from portal.tiers import Tier
from portal.voting import casting as voting_casting
from portal.voting import closing as voting_closing
from portal.voting import services as voting
from portal.voting.models import BallotSecrecy, Vote, VoteKind
from tests.factories import Org, Person, World, federation, ics, lmc, pcn

RULES = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": None,
    "quorum": {"members": "1/2", "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}
PRACTICES = (
    ("A10001", "Riverside Surgery", 4000),
    ("A10002", "Hillside Practice", 6000),
    ("A10003", "Meadow Health Centre", 10000),
    ("A10004", "Castle Street Surgery", 20000),
)
BODY = "The ICB proposes **one hub** per PCN.\n\nThe group supports it on two conditions."


STATEMENTS_WORLD: dict[str, Any] = {
    "slug": "north-staffs",
    "name": "North Staffordshire",
    "organisations": [
        lmc(ods_code="LMC01", name="LMC"),
        federation(ods_code="FED01", name="GP Federation"),
        pcn("pcn", ods_code="U10001", name="North Stoke PCN"),
        *(
            Org(code, ods_code=code, name=name, list_size=size, pcn="pcn", group="practices")
            for code, name, size in PRACTICES
        ),
        ics(ods_code="QXX", name="ICB"),
    ],
    "people": [
        Person("officer", "lmc", Role.LMC_OFFICER, name="Olive Officer"),
        Person("admin", "lmc", Role.AREA_ADMIN, name="Adam Admin"),
        Person("federation_director", "federation", Role.FEDERATION_DIRECTOR),
        Person("pcn_director", "pcn", Role.PCN_CLINICAL_DIRECTOR),
        *(
            Person(f"partner_{code}", code, Role.GP_PARTNER, group="partners")
            for code, _name, _size in PRACTICES
        ),
        Person("manager", PRACTICES[0][0], Role.PRACTICE_MANAGER),
        Person("ics_reader", "ics", Role.ICS_READER, name="Ivy Reader"),
    ],
}


def casters_of(world: World) -> dict[int, User]:
    """Who casts each organisation's ballot: by the organisation's id."""
    return {
        world.lmc.id: world.officer,
        world.federation.id: world.federation_director,
        world.pcn.id: world.pcn_director,
        **{p.id: u for p, u in zip(world.practices, world.partners, strict=True)},
    }


def other_area_member(world: World) -> User:
    """An LMC officer of another area: the strongest role, in the wrong place (made when first
    asked for, so that only the tests that need another area have one)."""
    if "other_area_member" not in world.people:
        world.add_area("other", f"{world.area.slug}-other", "Elsewhere")
        world.add(
            [lmc("other_lmc", area="other", ods_code="LMC99")],
            [Person("other_area_member", "other_lmc", Role.LMC_OFFICER)],
        )
    return world.people["other_area_member"]


def reader_in(world: World, role: Role | str) -> Any:
    """The person who reads as ``role`` (``None`` for "anonymous"); the other area's member
    is made on every call, whichever role is asked for, as the tier tables always had it."""
    return {
        Role.GP_PARTNER: world.partners[0],
        Role.PRACTICE_MANAGER: world.manager,
        Role.PCN_CLINICAL_DIRECTOR: world.pcn_director,
        Role.FEDERATION_DIRECTOR: world.federation_director,
        Role.LMC_OFFICER: world.officer,
        Role.AREA_ADMIN: world.admin,
        Role.ICS_READER: world.ics_reader,
        "other_area_member": other_area_member(world),
        "anonymous": None,
    }[role]


def decided_vote(
    world: World,
    choices: dict[Organisation, str] | None = None,
    *,
    secrecy: BallotSecrecy = BallotSecrecy.OPEN,
    voting_kinds: tuple[str, ...] = ("practice",),
    rules: dict[str, Any] | None = None,
    title: str = "Enhanced access hubs",
) -> Vote:
    """A motion opened, cast and closed through the voting services."""
    if choices is None:
        choices = dict(zip(world.practices, ("for", "for", "against", "for"), strict=True))
    now = utcnow()
    vote = voting.create_vote(
        world.officer,
        world.area,
        voting.VoteDetails(
            title=title,
            question="Should the group support the ICB's enhanced access hubs?",
            body_markdown=BODY,
            kind=VoteKind.MOTION,
            secrecy=secrecy,
            options=[],
            voting_kinds=list(voting_kinds),
            pcn_codes=None,
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(days=3),
            rules=rules or dict(RULES),
        ),
    )
    voting.open_vote(world.officer, vote, now)
    for organisation, choice in choices.items():
        voting_casting.cast_ballot(
            casters_of(world)[organisation.id], vote, organisation, choice, now
        )
    vote.opens_at = now - timedelta(days=2)
    vote.closes_at = now - timedelta(seconds=1)
    voting_closing.close_vote(vote, utcnow())
    db.session.commit()
    return vote


def add_proposal(world: World, title: str = "Enhanced access from PCN hubs") -> Proposal:
    proposal = Proposal(
        area_id=world.area.id,
        title=title,
        ics_reference="ICB-EA-07",
        owning_body="Test ICB primary care committee",
    )
    db.session.add(proposal)
    db.session.commit()
    return proposal


def agree_position(
    world: World,
    vote: Vote,
    *,
    title: str = "Enhanced access: our position",
    body: str = BODY,
    tier: Tier = Tier.ICS,
    proposal: Proposal | None = None,
    state: PositionState = PositionState.AGREED,
) -> Position:
    """A position whose revision 1 was voted on and agreed; revision 2 is a later draft."""
    position = Position(
        area_id=world.area.id,
        proposal_id=proposal.id if proposal else None,
        tier=tier,
        state=state,
        vote_id=vote.id,
        voted_revision_number=1,
        created_by_id=world.officer.id,
        revisions=[
            Revision(number=1, title=title, body_markdown=body, author_id=world.officer.id),
            Revision(
                number=2,
                title=f"{title} (later draft)",
                body_markdown="Not agreed.",
                author_id=world.officer.id,
            ),
        ],
    )
    db.session.add(position)
    db.session.commit()
    return position


def publish_statement(
    world: World,
    vote: Vote | None = None,
    *,
    tier: Tier = Tier.PUBLIC,
    signatories: SignatoryChoice = SignatoryChoice.VOTED_FOR,
    now: datetime | None = None,
    **position: Any,
) -> Statement:
    """Publish an agreed position through the service, as the LMC officer."""
    position_row = agree_position(world, vote or decided_vote(world), **position)
    statement = services.publish(world.officer, position_row, tier, signatories, now or utcnow())
    db.session.commit()
    return statement
