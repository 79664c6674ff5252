"""Read-only questions other parts of the portal ask about proposals and drafts (the home
page's list of what needs a person). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Area
from portal.positions.models import Comment, Position, PositionState, Proposal
from portal.positions.permissions import can_comment, can_see_proposals

# A proposal is answered once the group's position on it has gone this far.
ANSWERED = frozenset({PositionState.AGREED, PositionState.NOT_AGREED, PositionState.PUBLISHED})


@dataclass(frozen=True)
class DraftAwaitingComments:
    position: Position
    title: str
    consultation_ends_at: datetime | None


def drafts_awaiting_comments(user: User, area: Area) -> list[DraftAwaitingComments]:
    """Drafts in consultation that ``user`` may comment on and has not commented on yet,
    the consultation ending soonest first."""
    positions = db.session.execute(
        sa.select(Position).where(
            Position.area_id == area.id, Position.state == PositionState.CONSULTATION
        )
    ).scalars()
    commented = set(
        db.session.execute(
            sa.select(Comment.position_id).where(Comment.author_id == user.id)
        ).scalars()
    )
    found = [
        DraftAwaitingComments(position, position.latest.title, position.consultation_ends_at)
        for position in positions
        if position.id not in commented and can_comment(user, position)
    ]
    return sorted(
        found,
        key=lambda item: (item.consultation_ends_at is None, item.consultation_ends_at or 0),
    )


def proposals_due(user: User, area: Area, today: date) -> list[Proposal]:
    """ICS proposals whose response deadline is today or later and which the group has not
    answered yet, the deadline soonest first."""
    if not can_see_proposals(user, area):
        return []
    proposals = db.session.execute(
        sa.select(Proposal)
        .where(Proposal.area_id == area.id, Proposal.response_deadline >= today)
        .order_by(Proposal.response_deadline, Proposal.id)
    ).scalars()
    return [
        proposal
        for proposal in proposals
        if not any(position.state in ANSWERED for position in proposal.positions)
    ]
