"""The votes blueprint, its guards and the loader every vote page starts from.

Deny by default: only members of the area's group (not ICS readers) see its votes, and a vote
the user may not see is 404. A page never closes a vote: the worker does, and until it has
counted a vote past its closing time, the pages show it "closed, being counted"."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, g
from flask_login import current_user

from portal.database import utcnow
from portal.extensions import db
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.organisations.models import OrganisationKind
from portal.voting.models import Vote
from portal.voting.permissions import can_see_vote, can_see_votes
from portal.voting.presenters import OUTCOMES, option_label, share_text, state_label
from portal.voting.setup_forms import KIND_LABELS

blueprint = Blueprint(
    "voting", __name__, url_prefix="/areas/<area_slug>/votes", template_folder="templates"
)


bind_area(blueprint)
add_link(blueprint, "Votes", "voting.index", order=30, visible=can_see_votes)


@blueprint.before_request
def _require_group_member() -> None:
    """Deny by default: only members of the area's group (not ICS readers) see its votes."""
    if not can_see_votes(current_user, g.area):
        abort(404)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "percent": share_text,
        "option_label": option_label,
        "outcomes": OUTCOMES,
        "vote_state": lambda vote: state_label(vote, utcnow()),
        "kind_labels": KIND_LABELS,
        "kind_label": lambda kind: OrganisationKind(kind).label,
    }


# Built once: every page of a vote runs it.
_VOTE_BY_ID = sa.select(Vote).where(Vote.id == sa.bindparam("vote_id"))


def load_vote(vote_id: int) -> Vote:
    """The vote, if this user may see it (else 404). Only the worker closes votes: one past its
    closing time and not yet counted is shown "closed, being counted"."""
    vote = db.session.execute(_VOTE_BY_ID, {"vote_id": vote_id}).scalar_one_or_none()
    if vote is None or vote.area_id != g.area.id or not can_see_vote(current_user, vote):
        abort(404)
    return vote
