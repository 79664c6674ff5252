"""The check page before the lead accepts an amendment: accepting it rewrites the draft.

The page shows the paragraph as it reads and as the amendment would make it, and which
revision accepting it will make; its button posts to the positions' own accept step.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.markdown import markdown_paragraphs
from portal.organisations.area_context import bind_area
from portal.organisations.permissions import is_group_member
from portal.positions import diff, permissions
from portal.positions.models import Amendment, AmendmentState, Position

blueprint = Blueprint(
    "amendment_checks",
    __name__,
    url_prefix="/areas/<area_slug>/positions/<int:position_id>/amendments",
    template_folder="templates",
)
bind_area(blueprint)


@blueprint.before_request
def _require_group_member() -> None:
    if not is_group_member(current_user, g.area):
        abort(404)


@blueprint.get("/<int:amendment_id>/accept")
@login_required
def accept_check(position_id: int, amendment_id: int) -> str | Response:
    position = db.session.get(Position, position_id)
    if (
        position is None
        or position.area_id != g.area.id
        or not permissions.can_read_position(current_user, position)
    ):
        abort(404)
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None or amendment.position_id != position.id:
        abort(404)
    if not permissions.can_decide_amendment(current_user, amendment, position):
        if not permissions.can_lead(current_user, position):
            abort(403)
        flash("This amendment can no longer be accepted.", "error")
        return redirect(
            url_for("positions.position", position_id=position.id, _anchor="amendments")
        )
    original = markdown_paragraphs(amendment.revision.body_markdown)[amendment.paragraph_index]
    old_html, new_html = diff.compare_words(original, amendment.replacement_markdown)
    return render_template(
        "positions/amendment_accept_check.html",
        position=position,
        amendment=amendment,
        old_html=old_html,
        new_html=new_html,
        voted=amendment.state is AmendmentState.PUT_TO_VOTE,
    )
