"""The elections blueprint, its guards and the loaders every election page starts from.

Deny by default: only members of the area's group see its elections, and an election (or a
nomination) that is not the area's is 404; an elector the user does not act for is 403."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g
from flask_login import current_user

from portal.elections import electors
from portal.elections.models import Election, Elector, Nomination
from portal.elections.permissions import can_see_elections
from portal.elections.presenters import STATES
from portal.extensions import db
from portal.http import acting_user
from portal.markdown import render_markdown
from portal.navigation import add_link
from portal.organisations.area_context import bind_area

blueprint = Blueprint(
    "elections", __name__, url_prefix="/areas/<area_slug>/elections", template_folder="templates"
)
bind_area(blueprint)
add_link(blueprint, "Elections", "elections.index", order=35, visible=can_see_elections)


@blueprint.before_request
def _require_group_member() -> None:
    if not can_see_elections(current_user, g.area):
        abort(404)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {"states": STATES, "render_markdown": render_markdown}


def load_election(election_id: int) -> Election:
    election = db.session.get(Election, election_id)
    if election is None or election.area_id != g.area.id:
        abort(404)
    return election


def load_nomination(election_id: int, nomination_id: int) -> tuple[Election, Nomination]:
    election = load_election(election_id)
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.election_id != election.id:
        abort(404)
    return election, nomination


def my_electors(election: Election) -> list[Elector]:
    """The electors the user acts for in ``election``; 403 when there are none."""
    mine = electors.electors_for(acting_user(), election)
    if not mine:
        abort(403)
    return mine


def chosen_elector(mine: list[Elector], value: str | None) -> Elector:
    chosen = next((e for e in mine if str(e.id) == value), None)
    if chosen is None:
        abort(403)
    return chosen
