"""An area with one person in every role, a vote closed through the voting services, and agreed
positions ready to publish: what the statements tests (and the browser test) start from."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.accounts.models import Role, User
from portal.database import utcnow
from portal.extensions import db
from portal.organisations.models import Organisation, OrganisationKind
from portal.positions.models import Position, PositionState, Proposal, Revision, Tier
from portal.statements import services
from portal.statements.models import SignatoryChoice, Statement
from portal.voting import casting as voting_casting
from portal.voting import closing as voting_closing
from portal.voting import services as voting
from portal.voting.models import BallotSecrecy, Vote, VoteKind
from tests.factories import make_area, make_organisation, make_user

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


class Setting:
    """An area with an LMC (officer and administrator), a federation, a PCN of four practices
    (partners and a practice manager), an ICS reader, and a member of another area."""

    def __init__(self, slug: str = "north-staffs", name: str = "North Staffordshire") -> None:
        self.area = make_area(slug=slug, name=name)
        self.lmc = make_organisation(self.area, OrganisationKind.LMC, ods_code="LMC01", name="LMC")
        self.officer = make_user(self.lmc, Role.LMC_OFFICER, name="Olive Officer")
        self.admin = make_user(self.lmc, Role.AREA_ADMIN, name="Adam Admin")
        self.federation = make_organisation(
            self.area, OrganisationKind.FEDERATION, ods_code="FED01", name="GP Federation"
        )
        self.federation_director = make_user(self.federation, Role.FEDERATION_DIRECTOR)
        self.pcn = make_organisation(
            self.area, OrganisationKind.PCN, ods_code="U10001", name="North Stoke PCN"
        )
        self.pcn_director = make_user(self.pcn, Role.PCN_CLINICAL_DIRECTOR)
        self.practices = [
            make_organisation(self.area, ods_code=code, name=name, list_size=size, pcn=self.pcn)
            for code, name, size in PRACTICES
        ]
        self.partners = [make_user(p, Role.GP_PARTNER) for p in self.practices]
        self.manager = make_user(self.practices[0], Role.PRACTICE_MANAGER)
        self.ics = make_organisation(self.area, OrganisationKind.ICS, ods_code="QXX", name="ICB")
        self.ics_reader = make_user(self.ics, Role.ICS_READER, name="Ivy Reader")
        self.casters: dict[int, User] = {
            self.lmc.id: self.officer,
            self.federation.id: self.federation_director,
            self.pcn.id: self.pcn_director,
            **{p.id: u for p, u in zip(self.practices, self.partners, strict=True)},
        }
        self._other: User | None = None

    @property
    def other_area_member(self) -> User:
        """An LMC officer of another area: the strongest role, in the wrong place."""
        if self._other is None:
            other = make_area(slug=f"{self.area.slug}-other", name="Elsewhere")
            lmc = make_organisation(other, OrganisationKind.LMC, ods_code="LMC99")
            self._other = make_user(lmc, Role.LMC_OFFICER)
        return self._other

    def reader(self, role: Role | str) -> Any:
        return {
            Role.GP_PARTNER: self.partners[0],
            Role.PRACTICE_MANAGER: self.manager,
            Role.PCN_CLINICAL_DIRECTOR: self.pcn_director,
            Role.FEDERATION_DIRECTOR: self.federation_director,
            Role.LMC_OFFICER: self.officer,
            Role.AREA_ADMIN: self.admin,
            Role.ICS_READER: self.ics_reader,
            "other_area_member": self.other_area_member,
            "anonymous": None,
        }[role]

    def closed_vote(
        self,
        choices: dict[Organisation, str] | None = None,
        *,
        secrecy: BallotSecrecy = BallotSecrecy.OPEN,
        voting_kinds: tuple[str, ...] = ("practice",),
        rules: dict[str, Any] | None = None,
        title: str = "Enhanced access hubs",
    ) -> Vote:
        """A motion opened, cast and closed through the voting services."""
        if choices is None:
            choices = dict(zip(self.practices, ("for", "for", "against", "for"), strict=True))
        now = utcnow()
        vote = voting.create_vote(
            self.officer,
            self.area,
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
        voting.open_vote(self.officer, vote, now)
        for organisation, choice in choices.items():
            voting_casting.cast_ballot(
                self.casters[organisation.id], vote, organisation, choice, now
            )
        vote.opens_at = now - timedelta(days=2)
        vote.closes_at = now - timedelta(seconds=1)
        voting_closing.close_vote(vote, utcnow())
        db.session.commit()
        return vote

    def proposal(self, title: str = "Enhanced access from PCN hubs") -> Proposal:
        proposal = Proposal(
            area_id=self.area.id,
            title=title,
            ics_reference="ICB-EA-07",
            owning_body="Test ICB primary care committee",
        )
        db.session.add(proposal)
        db.session.commit()
        return proposal

    def agreed_position(
        self,
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
            area_id=self.area.id,
            proposal_id=proposal.id if proposal else None,
            tier=tier,
            state=state,
            vote_id=vote.id,
            voted_revision_number=1,
            created_by_id=self.officer.id,
            revisions=[
                Revision(number=1, title=title, body_markdown=body, author_id=self.officer.id),
                Revision(
                    number=2,
                    title=f"{title} (later draft)",
                    body_markdown="Not agreed.",
                    author_id=self.officer.id,
                ),
            ],
        )
        db.session.add(position)
        db.session.commit()
        return position

    def statement(
        self,
        vote: Vote | None = None,
        *,
        tier: Tier = Tier.PUBLIC,
        signatories: SignatoryChoice = SignatoryChoice.VOTED_FOR,
        now: datetime | None = None,
        **position: Any,
    ) -> Statement:
        """Publish an agreed position through the service, as the LMC officer."""
        position_row = self.agreed_position(vote or self.closed_vote(), **position)
        statement = services.publish(self.officer, position_row, tier, signatories, now or utcnow())
        db.session.commit()
        return statement
