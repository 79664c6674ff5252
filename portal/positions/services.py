"""ICS proposals, the drafts a list may show and where the group's answer to a proposal
stands, and the limits and errors the positions modules share. Documents, drafting,
amendments and the workflow to a vote are in their own modules beside this one.

Services flush but never commit; each checks its own permission, writes its audit entry and
raises a ``DomainError`` subclass whose message can be shown to the user.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from portal.accounts.models import User
from portal.audit.services import record
from portal.errors import DomainError, NotPermitted
from portal.extensions import db
from portal.organisations.models import Area
from portal.positions import permissions
from portal.positions.documents import Upload, attach_uploads
from portal.positions.models import Amendment, Comment, Position, PositionState, Proposal
from portal.tiers import can_read, readable_tiers

log = logging.getLogger(__name__)


MAX_TITLE = 200


MAX_BODY = 100_000


MAX_COMMENT = 10_000


MAX_QUESTION = 500


class WorkflowError(DomainError):
    """The position is not in a state that allows this."""


@dataclass(frozen=True)
class ProposalDetails:
    title: str
    ics_reference: str | None
    owning_body: str
    summary_markdown: str
    source_links: list[str]
    response_deadline: date | None


def _check_link(link: str) -> str:
    link = link.strip()
    if not re.fullmatch(r"https?://[^\s<>\"]+", link, flags=re.IGNORECASE) or len(link) > 2000:
        raise DomainError(f"{link[:80]} is not a web address starting with https:// or http://")
    return link


def create_proposal(
    actor: User, area: Area, details: ProposalDetails, uploads: list[Upload], now: datetime
) -> Proposal:
    if not permissions.can_create_proposal(actor, area):
        raise NotPermitted("Only LMC officers and area administrators can record ICS proposals")
    if not details.title.strip() or not details.owning_body.strip():
        raise DomainError("Enter the title and the body that owns the proposal")
    proposal = Proposal(
        area_id=area.id,
        title=details.title.strip()[:MAX_TITLE],
        ics_reference=(details.ics_reference or "").strip() or None,
        owning_body=details.owning_body.strip(),
        summary_markdown=details.summary_markdown or "",
        source_links=[_check_link(link) for link in details.source_links if link.strip()],
        response_deadline=details.response_deadline,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(proposal)
    db.session.flush()
    record(
        "proposal.created",
        f"ICS proposal recorded: {proposal.title}",
        actor=actor,
        area=area,
        subject=proposal,
        details={"deadline": str(proposal.response_deadline or "")},
    )
    attach_uploads(actor, proposal, uploads, now)
    return proposal


NO_DRAFT = "no_draft"


RESPONSE_LABELS = {
    NO_DRAFT: ("No draft", "grey"),
    PositionState.DRAFTING.value: ("Drafting", "blue"),
    PositionState.CONSULTATION.value: ("Consultation", "purple"),
    PositionState.VOTING.value: ("Voting", "orange"),
    PositionState.AGREED.value: ("Agreed", "green"),
    PositionState.NOT_AGREED.value: ("Not agreed", "red"),
    PositionState.PUBLISHED.value: ("Published", "green"),
}


# When several drafts answer one proposal, the one furthest along speaks for the group.
_PROGRESS = [
    PositionState.NOT_AGREED,
    PositionState.DRAFTING,
    PositionState.CONSULTATION,
    PositionState.VOTING,
    PositionState.AGREED,
    PositionState.PUBLISHED,
]


def readable_positions(user: Any, area: Area) -> sa.Select[Position]:
    """Every draft of the area the user may read: the one query lists start from."""
    tiers = readable_tiers(user, area, published=False)
    return sa.select(Position).where(Position.area_id == area.id, Position.tier.in_(tiers))


def response_state(user: Any, proposal: Proposal) -> str:
    """Where the group's answer stands, from the drafts this user may read (so a confidential
    draft does not show through)."""
    states = [
        position.state
        for position in proposal.positions
        if can_read(user, proposal.area, position.tier, published=False)
    ]
    if not states:
        return NO_DRAFT
    return max(states, key=_PROGRESS.index).value


def days_left(deadline: date | None, today: date) -> int | None:
    return None if deadline is None else (deadline - today).days


DEFAULT_RULES: dict[str, Any] = {
    "weighting": {"scheme": "list_size"},
    "blocks": None,
    "cap": "1/4",
    "quorum": {"members": "1/2", "weight": None},
    "threshold": {"rule": "simple_majority"},
    "tie": "fails",
}


def position_comments(position: Position) -> list[Comment]:
    return list(
        db.session.execute(
            sa.select(Comment)
            .where(Comment.position_id == position.id)
            .order_by(Comment.created_at, Comment.id)
        ).scalars()
    )


def position_amendments(position: Position) -> list[Amendment]:
    return list(
        db.session.execute(
            sa.select(Amendment)
            .where(Amendment.position_id == position.id)
            .order_by(Amendment.created_at, Amendment.id)
        ).scalars()
    )
