"""The proposals and positions blueprint, its guards and the loaders its pages start from.

Deny by default: every page needs a signed-in member of the area's group (ICS readers and
people of other areas get 404). A draft the user may not read (its tier, from
``portal.tiers``) is 404 too."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g
from flask_login import current_user

from portal.accounts.forms import ConfirmForm
from portal.extensions import db
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.positions import documents, permissions, services
from portal.positions.models import Amendment, Comment, Position, Proposal
from portal.positions.presenters import (
    AMENDMENT_STATES,
    POSITION_STATES,
    choice_params,
    days_left_text,
    file_size,
)
from portal.positions.queries import area_proposals

blueprint = Blueprint(
    "positions", __name__, url_prefix="/areas/<area_slug>", template_folder="templates"
)


bind_area(blueprint)
# Voting asks which ICS proposal a vote answers without importing positions, which sits above it.
blueprint.record_once(
    lambda state: state.app.extensions.setdefault("ics_proposals", area_proposals)
)
add_link(
    blueprint, "Proposals", "positions.proposals", order=20, visible=permissions.is_group_member
)
add_link(
    blueprint, "Positions", "positions.positions", order=21, visible=permissions.is_group_member
)


@blueprint.before_request
def _require_group_member() -> None:
    if not permissions.is_group_member(current_user, g.area):
        abort(404)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "position_states": POSITION_STATES,
        "amendment_states": AMENDMENT_STATES,
        "response_labels": services.RESPONSE_LABELS,
        "days_left_text": days_left_text,
        "file_size": file_size,
        "type_labels": documents.TYPE_LABELS,
        "choice_params": choice_params,
    }


def load_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.area_id != g.area.id:
        abort(404)
    return proposal


def load_position(position_id: int) -> Position:
    """The draft, if this user may read it (else 404). It follows its vote through voting's
    events, so loading it writes nothing."""
    position = db.session.get(Position, position_id)
    if (
        position is None
        or position.area_id != g.area.id
        or not permissions.can_read_position(current_user, position)
    ):
        abort(404)
    return position


def load_comment(position: Position, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.position_id != position.id:
        abort(404)
    return comment


def load_amendment(position: Position, amendment_id: int) -> Amendment:
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None or amendment.position_id != position.id:
        abort(404)
    return amendment


def confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)
