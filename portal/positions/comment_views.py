"""A comment's author changes it, or deletes it through a check page, within 30 minutes.

Views are thin: load the draft and the comment (404 when the user may not read the draft),
authorise (403 for someone else's comment), validate and call one service of
``portal.positions.comment_changes``. A comment that can no longer be changed (its time is up,
it was resolved, the draft closed) sends its author back to it with the reason.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.accounts.forms import ConfirmForm
from portal.database import utcnow
from portal.http import acting_user, refusal_shown_on
from portal.organisations.area_context import bind_area
from portal.organisations.permissions import is_group_member
from portal.positions import comment_changes
from portal.positions.blueprint import load_comment, load_position
from portal.positions.forms import EditCommentForm
from portal.positions.models import Comment, Position
from portal.times import london_datetime

blueprint = Blueprint(
    "position_comments",
    __name__,
    url_prefix="/areas/<area_slug>/positions/<int:position_id>/comments",
    template_folder="templates",
)
bind_area(blueprint)


@blueprint.before_request
def _require_group_member() -> None:
    if not is_group_member(current_user, g.area):
        abort(404)


def _back_to(position: Position, comment: Comment) -> Response:
    return redirect(
        url_for("positions.position", position_id=position.id, _anchor=f"comment-{comment.id}")
    )


def _changeable(position_id: int, comment_id: int) -> tuple[Position, Comment]:
    """The draft and the comment (404 unless the user may read the draft). Someone else's
    comment is 403; one that can no longer change goes back, with why."""
    position = load_position(position_id)
    comment = load_comment(position, comment_id)
    if comment.author_id != current_user.id:
        abort(403)
    problem = comment_changes.change_refusal(current_user, position, comment, utcnow())
    if problem is not None:
        flash(problem, "error")
        abort(_back_to(position, comment))
    return position, comment


@blueprint.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(position_id: int, comment_id: int) -> str | Response:
    position, comment = _changeable(position_id, comment_id)
    form = EditCommentForm()
    if request.method == "GET":
        form.comment_body.data = comment.body_markdown
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            comment_changes.edit_comment(
                acting_user(), position, comment, form.comment_body.data or "", utcnow()
            )
        if not refused:
            flash("Your comment has been changed.", "info")
            return _back_to(position, comment)
    return render_template(
        "positions/comment_edit.html",
        position=position,
        comment=comment,
        form=form,
        deadline=comment.created_at + comment_changes.EDIT_WINDOW,
    )


@blueprint.route("/<int:comment_id>/delete", methods=["GET", "POST"])
@login_required
def delete(position_id: int, comment_id: int) -> str | Response:
    """The check page (GET), and the deletion (POST from it)."""
    position, comment = _changeable(position_id, comment_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        now = utcnow()
        with refusal_shown_on(form) as refused:
            comment_changes.delete_comment(
                acting_user(),
                position,
                comment,
                now,
            )
        if not refused:
            flash(f"Your comment was deleted at {london_datetime(now)}.", "info")
            return _back_to(position, comment)
    return render_template(
        "positions/comment_delete.html", position=position, comment=comment, form=form
    )
