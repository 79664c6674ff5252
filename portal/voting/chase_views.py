"""The officers' chase list of a live vote and its "send a reminder" button."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.extensions import db
from portal.http import refusal_shown_on
from portal.organisations.area_context import bind_area
from portal.voting.chase import CHASE_COOLDOWN, chase_list, send_chase
from portal.voting.models import Vote, VoteState
from portal.voting.permissions import can_manage_votes
from portal.voting.setup_forms import KIND_LABELS

blueprint = Blueprint(
    "voting_chase", __name__, url_prefix="/areas/<area_slug>/votes", template_folder="templates"
)
bind_area(blueprint)


class ChaseForm(FlaskForm):
    """Only the CSRF token: the reminder goes to whoever has not voted when it is sent."""


def _vote(vote_id: int) -> Vote:
    """The area's vote if the user manages its votes; 404 otherwise (deny by default)."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.area_id != g.area.id or not can_manage_votes(current_user, g.area):
        abort(404)
    return vote


@blueprint.get("/<int:vote_id>/chase")
@login_required
def chase(vote_id: int) -> str:
    vote = _vote(vote_id)
    return _render(vote, ChaseForm())


def _render(vote: Vote, form: ChaseForm) -> str:
    now = utcnow()
    is_open = vote.state is VoteState.OPEN and vote.opens_at <= now < vote.closes_at
    return render_template(
        "voting/chase.html",
        vote=vote,
        is_open=is_open,
        chase=chase_list(vote) if vote.electorate else None,
        form=form,
        cooldown_minutes=int(CHASE_COOLDOWN.total_seconds() // 60),
        kind_labels=KIND_LABELS,
    )


@blueprint.post("/<int:vote_id>/chase")
@login_required
def remind(vote_id: int) -> str | Response:
    vote = _vote(vote_id)
    form = ChaseForm()
    if not form.validate_on_submit():
        abort(400)
    with refusal_shown_on(form) as refused:
        sent = send_chase(current_user, vote, utcnow())
    if refused:
        return _render(vote, form)
    flash(
        f"Reminder sent to {sent.recipients} "
        f"{'person' if sent.recipients == 1 else 'people'} for {sent.organisations} "
        f"{'organisation' if sent.organisations == 1 else 'organisations'} not yet voted.",
        "info",
    )
    return redirect(url_for(".chase", vote_id=vote.id))
