"""The lead's controls over a consultation: change its end, end it early, or take the draft
back to drafting, each of the last two through a check page.

Views are thin: load the draft (404 when the user may not read it), authorise (403 unless the
user leads it), validate and call one service of ``portal.positions.consultation``. A new end
after the ICS's deadline is shown with a warning first, and saved only when the same day is
sent again from that page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.accounts.forms import ConfirmForm
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.organisations.area_context import bind_area
from portal.organisations.permissions import is_group_member
from portal.positions import consultation, permissions
from portal.positions.blueprint import load_position
from portal.positions.forms import ConsultationForm
from portal.positions.models import Comment, Position, PositionState
from portal.times import LONDON, london_datetime

blueprint = Blueprint(
    "consultation",
    __name__,
    url_prefix="/areas/<area_slug>/positions/<int:position_id>/consultation",
    template_folder="templates",
)
bind_area(blueprint)


@blueprint.before_request
def _require_group_member() -> None:
    if not is_group_member(current_user, g.area):
        abort(404)


def _led_in_consultation(position_id: int) -> Position:
    """The draft, if the user may read it (else 404) and leads it (else 403); one no longer
    in consultation goes back to its page, saying so."""
    position = load_position(position_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    if position.state is not PositionState.CONSULTATION:
        flash("This draft is not in consultation.", "error")
        abort(_page(position))
    return position


def _page(position: Position) -> Response:
    return redirect(url_for("positions.position", position_id=position.id, _anchor="next-steps"))


@blueprint.route("/end", methods=["GET", "POST"])
@login_required
def change_end(position_id: int) -> str | Response:
    position = _led_in_consultation(position_id)
    form = _end_form(position)
    warning = None
    if form.validate_on_submit() and form.ends_at is not None:
        warning = unaccepted_late_end(position, form)
        if warning is None:
            with refusal_shown_on(form) as refused:
                consultation.change_end(acting_user(), position, form.ends_at, utcnow())
            if not refused:
                flash(END_CHANGED.format(ends=london_datetime(form.ends_at)), "info")
                return _page(position)
    return render_end_page(position, form, warning, opening=False)


END_CHANGED = "The consultation now closes on {ends}. Members have been emailed."


def _end_form(position: Position) -> ConsultationForm:
    form = ConsultationForm()
    if request.method == "GET" and position.consultation_ends_at is not None:
        # The form names the last day; the consultation ends at the midnight after it.
        local_end = position.consultation_ends_at.astimezone(LONDON)
        last_day = (local_end - timedelta(microseconds=1)).date()
        form.ends_day.data = str(last_day.day)
        form.ends_month.data = str(last_day.month)
        form.ends_year.data = str(last_day.year)
    return form


def unaccepted_late_end(position: Position, form: ConsultationForm) -> str | None:
    """The warning for a closing day after the ICS's deadline; None when there is none, or
    once the same day is sent again from the page that showed it, which keeps the day."""
    assert form.ends_at is not None
    warning = consultation.deadline_warning(position, form.ends_at)
    if warning is None or request.form.get("accept_late") == form.ends_at.isoformat():
        return None
    return warning


def render_end_page(
    position: Position, form: ConsultationForm, warning: str | None, *, opening: bool
) -> str:
    """The page that sets the day a consultation closes, when it opens or later."""
    return render_template(
        "positions/consultation_end.html",
        position=position,
        form=form,
        warning=warning,
        accept_late=form.ends_at.isoformat() if warning and form.ends_at else "",
        heading="Open the consultation" if opening else "Change when the consultation closes",
        button_text="Open the consultation" if opening else "Save the new closing day",
        opening=opening,
    )


def _check_page(position: Position, **words: Any) -> str:
    comments = [c for c in position_comments(position) if c.deleted_at is None]
    return render_template(
        "positions/consultation_step_check.html",
        position=position,
        comment_count=len(comments),
        undecided_count=len(consultation.undecided_amendments(position)),
        **words,
    )


def position_comments(position: Position) -> list[Comment]:
    return list(
        db.session.execute(sa.select(Comment).where(Comment.position_id == position.id)).scalars()
    )


CLOSED_EARLY = (
    "The consultation closed at {at}. Members have been emailed; "
    "the draft can now go to the vote once its amendments are decided."
)


@blueprint.route("/close", methods=["GET", "POST"])
@login_required
def close_early(position_id: int) -> str | Response:
    """The check page (GET) and ending the consultation now (POST from it)."""
    position = _led_in_consultation(position_id)
    if not consultation.is_open(position, utcnow()):
        flash("The consultation has already closed.", "error")
        return _page(position)
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        now = utcnow()
        with refusal_shown_on() as refused:
            consultation.end_early(acting_user(), position, now)
        if not refused:
            flash(CLOSED_EARLY.format(at=london_datetime(now)), "info")
        return _page(position)
    return _check_page(
        position,
        heading="End the consultation now?",
        consequences=[
            "Members will no longer be able to comment or propose amendments, and they will "
            "be emailed that it closed early. It cannot be reopened.",
        ],
        button_text="End the consultation now",
    )


@blueprint.route("/withdraw", methods=["GET", "POST"])
@login_required
def back_to_drafting(position_id: int) -> str | Response:
    """The check page (GET) and taking the draft back to drafting (POST from it)."""
    position = _led_in_consultation(position_id)
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        with refusal_shown_on() as refused:
            consultation.back_to_drafting(acting_user(), position, utcnow())
        if not refused:
            flash("The draft is back in drafting. The comments made so far are kept.", "info")
        return _page(position)
    return _check_page(
        position,
        heading="Take the draft back to drafting?",
        consequences=[
            "The consultation stops. The comments and amendments made so far are kept, and "
            "members can still comment while it is being drafted. You can open a new "
            "consultation later.",
        ],
        button_text="Take it back to drafting",
    )
