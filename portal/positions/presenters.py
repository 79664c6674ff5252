"""What the proposals and positions pages display: the labels of states and tiers, deadlines and
file sizes in words, the paragraphs to choose from, a clash of edits side by side, and the
statement a position became when the reader may read it. Nothing here writes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms.fields.choices import SelectChoice

from portal.database import utcnow
from portal.markdown import markdown_paragraphs
from portal.positions import diff, drafting, services
from portal.positions.models import AmendmentState, Position, PositionState, Tier
from portal.templating import field_params
from portal.times import LONDON

POSITION_STATES = {
    PositionState.DRAFTING: ("Drafting", "blue"),
    PositionState.CONSULTATION: ("Consultation", "purple"),
    PositionState.VOTING: ("Voting", "orange"),
    PositionState.AGREED: ("Agreed", "green"),
    PositionState.NOT_AGREED: ("Not agreed", "red"),
    PositionState.PUBLISHED: ("Published", "green"),
}


AMENDMENT_STATES = {
    AmendmentState.PROPOSED: ("Proposed", "blue"),
    AmendmentState.ACCEPTED: ("Accepted", "green"),
    AmendmentState.REJECTED: ("Rejected", "red"),
    AmendmentState.PUT_TO_VOTE: ("Put to the vote", "orange"),
}


TIER_HINTS = {
    Tier.LMC: "Only LMC officers and area administrators.",
    Tier.GROUP: "Every member of the group's organisations, but not ICS readers.",
    Tier.ICS: "The group while it is a draft; ICS readers too once it is published.",
    Tier.PUBLIC: "The group while it is a draft; anyone at all once it is published.",
}


def choice_params(field: Any, **extra: Any) -> dict[str, Any]:
    """``field_params`` for radios and checkboxes, without an ``id`` on the wrapper."""
    params = field_params(field, **extra)
    params.pop("id", None)
    params.setdefault("idPrefix", field.id)
    return params


def days_left_text(deadline: date | None) -> str:
    left = services.days_left(deadline, london_today())
    if left is None:
        return "No deadline"
    if left < 0:
        return f"Deadline passed {-left} {'day' if left == -1 else 'days'} ago"
    if left == 0:
        return "Due today"
    return f"{left} {'day' if left == 1 else 'days'} left"


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def london_today() -> date:
    return utcnow().astimezone(LONDON).date()


def paragraph_choices(position: Position, *, whole: bool) -> list[SelectChoice]:
    choices = [SelectChoice("", "The whole draft")] if whole else []
    for index, paragraph in enumerate(markdown_paragraphs(position.latest.body_markdown)):
        excerpt = " ".join(paragraph.split())
        excerpt = excerpt if len(excerpt) <= 60 else excerpt[:57].rstrip() + "…"
        choices.append(SelectChoice(str(index), f"Paragraph {index + 1}: {excerpt}"))
    return choices


def edit_conflict_view(conflict: drafting.EditConflict) -> dict[str, Any]:
    base, latest = conflict.base, conflict.latest
    return {
        "base": base,
        "latest": latest,
        "rows": diff.compare(base.body_markdown, latest.body_markdown),
        "title_change": (
            diff.compare_words(base.title, latest.title) if base.title != latest.title else None
        ),
    }


def why_frozen(position: Position) -> str:
    if position.state is PositionState.VOTING:
        return "the vote on it is open."
    if position.state is PositionState.NOT_AGREED:
        return "it was not agreed; return it to drafting for another round first."
    return "it has been agreed."
