"""Who may see and do what with ICS proposals and position drafts. Deny by default.

Reading a draft is decided by its tier alone, in ``portal.tiers``; everything here
starts from that. Views answer 404 for what a user may not see and 403 for an action on
something they can see but may not take.

"Officer" means an LMC officer or an area administrator (the ``lmc`` tier's readers).
"""

from __future__ import annotations

from typing import Any

from portal.organisations.models import Area
from portal.organisations.permissions import is_group_member, is_officer
from portal.positions.models import (
    Amendment,
    AmendmentState,
    Position,
    PositionState,
    Tier,
)
from portal.tiers import can_read

# A draft's text can change, and members comment and propose amendments, in these states.
OPEN_FOR_CHANGES = frozenset({PositionState.DRAFTING, PositionState.CONSULTATION})


# --- ICS proposals ----------------------------------------------------------------------------


def can_see_proposals(user: Any, area: Area) -> bool:
    """Proposals, and where the group's answer to each stands, are the group's business."""
    return is_group_member(user, area)


def can_create_proposal(user: Any, area: Area) -> bool:
    return is_officer(user, area)


def can_add_documents(user: Any, area: Area) -> bool:
    return is_officer(user, area)


# --- Reading and writing drafts ---------------------------------------------------------------


def can_read_position(user: Any, position: Position) -> bool:
    """A draft's page, history, comments and amendments: its tier as an unpublished draft."""
    return can_read(user, position.area, position.tier, published=False)


def can_create_position(user: Any, area: Area) -> bool:
    return is_group_member(user, area)


def tiers_for_new_position(user: Any, area: Area) -> list[Tier]:
    """The tiers a user may give a draft: never one they could not read themselves."""
    return [tier for tier in Tier if can_read(user, area, tier, published=False)]


def is_lead(user: Any, position: Position) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.id == position.lead_id


def can_lead(user: Any, position: Position) -> bool:
    """The drafting lead, or an officer: resolve comments, decide amendments, edit the text,
    open the consultation and the vote."""
    if not can_read_position(user, position):
        return False
    return is_lead(user, position) or is_officer(user, position.area)


def can_edit(user: Any, position: Position) -> bool:
    return can_lead(user, position) and position.state in OPEN_FOR_CHANGES


def can_participate(user: Any, position: Position) -> bool:
    """Comment and propose amendments: any group member who can read the draft."""
    return can_read_position(user, position) and is_group_member(user, position.area)


def can_comment(user: Any, position: Position) -> bool:
    return can_participate(user, position) and position.state in OPEN_FOR_CHANGES


def can_propose_amendment(user: Any, position: Position) -> bool:
    return can_participate(user, position) and position.state in OPEN_FOR_CHANGES


def can_decide_amendment(user: Any, amendment: Amendment, position: Position) -> bool:
    return (
        amendment.state in (AmendmentState.PROPOSED, AmendmentState.PUT_TO_VOTE)
        and position.state in OPEN_FOR_CHANGES
        and can_lead(user, position)
    )


def can_reassign_lead(user: Any, position: Position) -> bool:
    return can_read_position(user, position) and is_officer(user, position.area)


def can_open_consultation(user: Any, position: Position) -> bool:
    return position.state is PositionState.DRAFTING and can_lead(user, position)


def can_open_vote(user: Any, position: Position) -> bool:
    """The drafting lead (or an officer) puts the draft to the group's weighted vote."""
    return position.state in OPEN_FOR_CHANGES and can_lead(user, position)


def can_put_amendment_to_vote(user: Any, amendment: Amendment, position: Position) -> bool:
    return amendment.state is AmendmentState.PROPOSED and can_decide_amendment(
        user, amendment, position
    )


def can_return_to_drafting(user: Any, position: Position) -> bool:
    return position.state is PositionState.NOT_AGREED and can_lead(user, position)
