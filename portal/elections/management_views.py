"""Officers run an election: name a secret election's scrutineers while nominations last,
move its dates (those ``portal.elections.timetable`` lets move), close nominations and start
the count once their times have passed (the worker does both too, from ``close_due``)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.accounts.forms import ConfirmForm
from portal.database import utcnow
from portal.elections import closing, counting, scrutiny, timetable
from portal.elections.blueprint import blueprint, load_election
from portal.elections.election_views import render_election
from portal.elections.forms import ScrutineersForm, dates_form
from portal.elections.models import ElectionState
from portal.elections.permissions import can_manage_elections
from portal.http import acting_user, refusal_shown_on
from portal.voting.scrutiny import find_scrutineers


@blueprint.route("/<int:election_id>/scrutineers", methods=["GET", "POST"])
@login_required
def scrutineers(election_id: int) -> str | Response:
    """An officer names a secret election's scrutineers, or others, while nominations last."""
    election = load_election(election_id)
    if not can_manage_elections(current_user, election.area):
        abort(403)
    form = ScrutineersForm()
    if request.method == "GET":
        form.scrutineers.data = "\n".join(s.user.email for s in election.scrutineers)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            scrutiny.appoint(
                acting_user(), election, find_scrutineers(g.area, form.scrutineers.data or "")
            )
        if not refused:
            flash("The scrutineers are saved. Each new one has been emailed.", "info")
            return redirect(url_for(".election", election_id=election.id, _anchor="scrutiny"))
    return render_template(
        "elections/scrutineers.html",
        election=election,
        form=form,
        open_to_change=election.secret and election.state is ElectionState.NOMINATIONS,
    )


@blueprint.post("/<int:election_id>/dates")
@login_required
def move_dates(election_id: int) -> tuple[str, int] | Response:
    """The form on the election's page; refused, it shows there again with why."""
    election = load_election(election_id)
    if not can_manage_elections(current_user, election.area):
        abort(403)
    now = utcnow()
    form = dates_form(election, now, posted=True)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            timetable.move_dates(acting_user(), election, form.changes(), now)
        if not refused:
            flash("The dates are moved, and the electors are emailed the new ones.", "info")
            return redirect(url_for(".election", election_id=election.id))
    return render_election(election, dates_form=form), 400


@blueprint.post("/<int:election_id>/close-nominations")
@login_required
def close_nominations(election_id: int) -> Response:
    election = load_election(election_id)
    if not can_manage_elections(current_user, election.area):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        closing.close_nominations(election, utcnow(), acting_user())
    if not refused:
        flash("Nominations are closed.", "info")
    return redirect(url_for(".election", election_id=election.id))


@blueprint.post("/<int:election_id>/count")
@login_required
def count_now(election_id: int) -> Response:
    election = load_election(election_id)
    if not can_manage_elections(current_user, election.area):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        counting.count_election(election, utcnow(), acting_user())
    if refused:
        return redirect(url_for(".election", election_id=election.id))
    return redirect(url_for(".results", election_id=election.id))
