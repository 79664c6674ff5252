"""What every service that changes a vote checks first: the lock on the vote's row, whether it
accepts ballots now, whether proxies and conflicts may still change, and the errors they raise.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal.errors import DomainError
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.voting.models import ElectorateMember, Vote, VoteState


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
    db.session.execute(
        sa.select(Vote.id).where(Vote.id == vote.id).with_for_update(read=shared)
    ).one()
    db.session.refresh(vote, attribute_names=["state", "closes_at", "opens_at"])


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
    from portal.templating import london_datetime

    return london_datetime(moment)
