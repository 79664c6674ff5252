"""One search box for an area: proposals, drafts, statements, needs and votes, each kind
asked of its own domain (which applies its own tiers and permissions), grouped by kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_login import current_user, login_required

from portal.navigation import add_link
from portal.needs.queries import search_needs
from portal.organisations.area_context import bind_area
from portal.positions.queries import search_positions, search_proposals
from portal.statements.queries import search_statements
from portal.voting.queries import search_votes

blueprint = Blueprint(
    "search", __name__, url_prefix="/areas/<area_slug>/search", template_folder="templates"
)
bind_area(blueprint)
add_link(blueprint, "Search", "search.search", order=80)

SEARCH_MAX_LENGTH = 100
PER_KIND = 20
KINDS = (
    ("proposals", "ICS proposals", search_proposals),
    ("positions", "Position drafts", search_positions),
    ("statements", "Statements", search_statements),
    ("needs", "Needs", search_needs),
    ("votes", "Votes", search_votes),
)


@dataclass(frozen=True)
class Group:
    key: str
    heading: str
    items: list[Any]


@blueprint.get("/")
@login_required
def search() -> str:
    text = request.args.get("q", "").strip()
    problem = _problem(text)
    groups = []
    if text and problem is None:
        groups = [
            Group(key, heading, finder(current_user, g.area, text, PER_KIND))
            for key, heading, finder in KINDS
        ]
    return render_template(
        "main/search.html",
        text=text[:SEARCH_MAX_LENGTH],
        problem=problem,
        groups=[group for group in groups if group.items],
        searched=bool(groups),
        per_kind=PER_KIND,
        max_length=SEARCH_MAX_LENGTH,
    )


def _problem(text: str) -> str | None:
    """What is wrong with the words asked for, if anything."""
    if len(text) > SEARCH_MAX_LENGTH:
        return f"Search for {SEARCH_MAX_LENGTH} characters or fewer"
    if request.args.get("q") is not None and not text:
        return "Enter words to search for"
    return None
