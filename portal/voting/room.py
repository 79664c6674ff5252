"""Votes taken in the room at a meeting, and hybrid votes.

A meeting's chair records, for each organisation present and entitled (in the vote's
electorate and not recused), its choice as shown in the room. Each becomes that
organisation's ballot with origin ``room``, counted at close by the same weighting, quorum
and threshold rules as any other (``rules.py``). A hybrid vote is open online until the
meeting; in the room only organisations that have not voted online are recorded, and an
online or proxy ballot is never overwritten by the room.

A secret ballot is never taken by show of hands: hands are seen by everyone present.

The meetings domain decides who chairs and who was present, and passes both in; this
module checks everything about the vote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import DomainError
from portal.extensions import db
from portal.organisations.models import Area
from portal.voting import guards
from portal.voting.models import Ballot, BallotOrigin, BallotSecrecy, Vote, VoteState

SHOW_OF_HANDS_REFUSAL = (
    "A secret ballot cannot be taken by show of hands: everyone in the room would see how "
    "each organisation voted. Members vote online instead."
)


@dataclass(frozen=True)
class RoomRow:
    organisation_id: int
    name: str
    present: bool
    entitled: bool
    voted_online: bool  # online or by proxy: the room does not record it again
    room_choice: str | None

    @property
    def may_be_recorded(self) -> bool:
        return self.present and self.entitled and not self.voted_online


@dataclass(frozen=True)
class RoomSheet:
    vote_id: int
    title: str
    question: str
    options: list[str]
    secret: bool
    open: bool
    rows: list[RoomRow]


def vote_in_area(area: Area, vote_id: int) -> Vote | None:
    vote = db.session.get(Vote, vote_id)
    return vote if vote is not None and vote.area_id == area.id else None


def room_sheet(vote: Vote, present: set[int], now: datetime) -> RoomSheet:
    """Every organisation in the electorate, and every present one outside it, with what
    the room may record for it."""
    ballots = {
        ballot.organisation_id: ballot
        for ballot in db.session.scalars(sa.select(Ballot).where(Ballot.vote_id == vote.id))
    }
    rows = []
    for member in sorted(vote.electorate, key=lambda m: m.name):
        ballot = ballots.get(member.organisation_id)
        rows.append(
            RoomRow(
                organisation_id=member.organisation_id,
                name=member.name,
                present=member.organisation_id in present,
                entitled=not member.recused,
                voted_online=ballot is not None and ballot.origin is not BallotOrigin.ROOM,
                room_choice=ballot.choice
                if ballot is not None and ballot.origin is BallotOrigin.ROOM
                else None,
            )
        )
    accepting = vote.state is VoteState.OPEN and vote.opens_at <= now < vote.closes_at
    return RoomSheet(
        vote_id=vote.id,
        title=vote.title,
        question=vote.question,
        options=list(vote.options),
        secret=vote.secrecy is BallotSecrecy.SECRET,
        open=accepting,
        rows=rows,
    )


def record_in_room(
    chair: User, vote: Vote, present: set[int], choices: Mapping[int, str], now: datetime
) -> int:
    """Record the room's choices (organisation id to option); all or nothing. Return how
    many ballots were recorded."""
    if vote.secrecy is BallotSecrecy.SECRET:
        raise DomainError(SHOW_OF_HANDS_REFUSAL)
    guards.lock_vote(vote, shared=True)
    guards.check_accepting(vote, now)
    if not choices:
        raise DomainError("Record at least one organisation's choice.")
    members = {member.organisation_id: member for member in vote.electorate}
    existing = {
        ballot.organisation_id: ballot
        for ballot in db.session.scalars(
            sa.select(Ballot)
            .where(Ballot.vote_id == vote.id, Ballot.organisation_id.in_(list(choices)))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    for organisation_id, choice in choices.items():
        member = members.get(organisation_id)
        if member is None:
            raise DomainError("An organisation chosen is not in this vote's electorate.")
        if organisation_id not in present:
            raise DomainError(f"{member.name} is not recorded as present at this meeting.")
        if member.recused:
            raise DomainError(f"{member.name} has been recused from this vote.")
        if choice not in vote.options:
            raise DomainError("Choose one of the vote's options for each organisation.")
        ballot = existing.get(organisation_id)
        if ballot is not None and ballot.origin is not BallotOrigin.ROOM:
            raise DomainError(f"{member.name} has already voted online; that ballot counts.")
    for organisation_id, choice in choices.items():
        ballot = existing.get(organisation_id)
        if ballot is None:
            ballot = Ballot(
                vote_id=vote.id,
                organisation_id=organisation_id,
                choice=choice,
                cast_by_id=chair.id,
                cast_at=now,
                origin=BallotOrigin.ROOM,
            )
            db.session.add(ballot)
        else:
            ballot.choice = choice
            ballot.cast_by_id = chair.id
            ballot.cast_at = now
            ballot.version += 1
        db.session.flush()
        record(
            "ballot.recorded_in_room",
            f"Ballot recorded in the room for {members[organisation_id].name}: {choice}",
            actor=chair,
            area=vote.area,
            subject=vote,
            details={"organisation": members[organisation_id].ods_code, "choice": choice},
        )
    return len(choices)
