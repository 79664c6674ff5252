"""What every service that changes a vote checks first: the lock on the vote's row, whether it
accepts ballots now, whether proxies and conflicts may still change, and the errors they raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from portal.errors import DomainError
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.voting.models import Ballot, ElectorateMember, Vote, VoteState


class VotingClosed(DomainError):
    pass


class VotingNotOpen(DomainError):
    pass


class VoteLocked(DomainError):
    pass


def member_for(vote: Vote, organisation: Organisation) -> ElectorateMember | None:
    return next((m for m in vote.electorate if m.organisation_id == organisation.id), None)


def lock_vote(vote: Vote, *, shared: bool) -> None:
    """Lock the vote's row for this transaction and read its state afresh (PostgreSQL; SQLite
    lets one writer in at a time anyway)."""
    fresh = db.session.execute(
        sa.select(*_STATE).where(Vote.id == vote.id).with_for_update(read=shared)
    ).one()
    _take_state(vote, fresh)


@dataclass(frozen=True)
class CastLock:
    """What a cast needs to know, read under the vote's lock: whether the organisation is in
    the electorate and recused, and whether it has a ballot already."""

    in_electorate: bool
    recused: bool
    has_ballot: bool


def lock_vote_to_cast(vote: Vote, organisation: Organisation) -> CastLock:
    """``lock_vote(vote, shared=True)`` with the organisation's member row read afresh (a
    recusal ruled a moment ago shows: it locks the vote row) and whether it has a ballot, in
    one round trip and without loading the whole electorate. The ballot is not locked here
    (PostgreSQL locks no row on the empty side of an outer join): a change locks it itself."""
    fresh = db.session.execute(
        _LOCK_TO_CAST, {"vote_id": vote.id, "organisation_id": organisation.id}
    ).one()
    _take_state(vote, fresh)
    return CastLock(
        in_electorate=fresh.member_id is not None,
        recused=bool(fresh.recused),
        has_ballot=fresh.ballot_id is not None,
    )


_STATE = (Vote.state, Vote.closes_at, Vote.opens_at)
# Built once: every cast runs it.
_LOCK_TO_CAST = (
    sa.select(*_STATE, ElectorateMember.id.label("member_id"), ElectorateMember.recused)
    .add_columns(Ballot.id.label("ballot_id"))
    .select_from(Vote)
    .outerjoin(
        ElectorateMember,
        sa.and_(
            ElectorateMember.vote_id == Vote.id,
            ElectorateMember.organisation_id == sa.bindparam("organisation_id"),
        ),
    )
    .outerjoin(
        Ballot,
        sa.and_(
            Ballot.vote_id == Vote.id, Ballot.organisation_id == sa.bindparam("organisation_id")
        ),
    )
    .where(Vote.id == sa.bindparam("vote_id"))
    .with_for_update(read=True, of=Vote)
)


def _take_state(vote: Vote, fresh: Any) -> None:
    """The lock's own row is the fresh state, as a refresh would read it (no second query)."""
    for column in _STATE:
        set_committed_value(vote, column.key, getattr(fresh, column.key))


def check_accepting(vote: Vote, now: datetime) -> None:
    if vote.state is VoteState.CANCELLED:
        raise VotingClosed("This vote has been cancelled: no ballots can be cast or changed")
    if vote.state is VoteState.CLOSED or (vote.state is VoteState.OPEN and now >= vote.closes_at):
        raise VotingClosed("This vote has closed: no more ballots can be cast or changed")
    if vote.state is not VoteState.OPEN or now < vote.opens_at:
        raise VotingNotOpen(f"This vote opens on {london(vote.opens_at)}")


def refuse_once_over(vote: Vote, now: datetime, consequence: str) -> None:
    """Proxies and conflicts can change while a vote is a draft or open, and not after."""
    if vote.state is VoteState.CANCELLED:
        raise VotingClosed(f"This vote has been cancelled: {consequence}")
    if vote.state is VoteState.CLOSED or now >= vote.closes_at:
        raise VotingClosed(f"This vote has closed: {consequence}")


def london(moment: datetime) -> str:
    from portal.times import london_datetime

    return london_datetime(moment)
