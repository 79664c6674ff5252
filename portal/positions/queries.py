"""Read-only questions other parts of the portal ask about proposals and drafts (the home
page's list of what needs a person). Nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Area
from portal.positions.models import Comment, Position, PositionState, Proposal, Revision
from portal.positions.permissions import can_comment, can_see_proposals
from portal.tiers import readable_tiers

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


def search_proposals(user: User, area: Area, text: str, limit: int) -> list[Proposal]:
    """ICS proposals of ``area`` with ``text`` in the title, reference, owner or summary."""
    if not can_see_proposals(user, area):
        return []
    return list(
        db.session.execute(
            sa.select(Proposal)
            .where(
                Proposal.area_id == area.id,
                sa.or_(
                    Proposal.title.icontains(text, autoescape=True),
                    Proposal.ics_reference.icontains(text, autoescape=True),
                    Proposal.owning_body.icontains(text, autoescape=True),
                    Proposal.summary_markdown.icontains(text, autoescape=True),
                ),
            )
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
            .limit(limit)
        ).scalars()
    )


def search_positions(user: User, area: Area, text: str, limit: int) -> list[Position]:
    """Drafts of ``area`` the user may read (by tier) with ``text`` in their latest title or
    text, most recently changed first."""
    tiers = readable_tiers(user, area, published=False)
    if not tiers:
        return []
    latest = (
        sa.select(Revision.position_id, sa.func.max(Revision.number).label("number"))
        .group_by(Revision.position_id)
        .subquery()
    )
    query = (
        sa.select(Position)
        .join(latest, latest.c.position_id == Position.id)
        .join(
            Revision,
            sa.and_(Revision.position_id == Position.id, Revision.number == latest.c.number),
        )
        .where(
            Position.area_id == area.id,
            Position.tier.in_(sorted(tiers, key=lambda tier: tier.value)),
            sa.or_(
                Revision.title.icontains(text, autoescape=True),
                Revision.body_markdown.icontains(text, autoescape=True),
            ),
        )
        .order_by(Revision.created_at.desc(), Position.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def area_proposals(area: Area) -> list[Proposal]:
    """The area's ICS proposals, newest first: what a vote may say it answers."""
    return list(
        db.session.execute(
            sa.select(Proposal)
            .where(Proposal.area_id == area.id)
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        ).scalars()
    )
