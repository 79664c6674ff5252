"""The check page before the lead accepts an amendment: accepting it rewrites the draft.

The page shows the paragraph as it reads and as the amendment would make it, and which
revision accepting it will make; its button posts to the positions' own accept step.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.organisations.area_context import bind_area
from portal.organisations.permissions import is_group_member
from portal.positions import amendments as amending
from portal.positions import diff, permissions
from portal.positions.blueprint import load_amendment, load_position
from portal.positions.models import AmendmentState

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
    position = load_position(position_id)
    amendment = load_amendment(position, amendment_id)
    if not permissions.can_decide_amendment(current_user, amendment, position):
        if not permissions.can_lead(current_user, position):
            abort(403)
        flash("This amendment can no longer be accepted.", "error")
        return redirect(
            url_for("positions.position", position_id=position.id, _anchor="amendments")
        )
    old_html, new_html = diff.compare_words(
        amending.original_paragraph(amendment), amendment.replacement_markdown
    )
    return render_template(
        "positions/amendment_accept_check.html",
        position=position,
        amendment=amendment,
        old_html=old_html,
        new_html=new_html,
        voted=amendment.state is AmendmentState.PUT_TO_VOTE,
    )
