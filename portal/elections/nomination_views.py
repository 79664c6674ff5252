"""Nominations on an election's page: an elector nominates, another seconds, the candidate
accepts with a statement, and a candidate withdraws (or an officer withdraws them)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.elections import electors, nominations
from portal.elections.blueprint import (
    blueprint,
    chosen_elector,
    load_election,
    load_nomination,
    my_electors,
)
from portal.elections.election_views import render_election
from portal.elections.forms import (
    AcceptForm,
    NominateForm,
    SecondForm,
    WithdrawForm,
    choice_list,
    elector_choices,
)
from portal.elections.permissions import can_manage_elections
from portal.elections.presenters import withdrawn_message
from portal.http import acting_user, refusal_shown_on


@blueprint.post("/<int:election_id>/nominations")
@login_required
def nominate(election_id: int) -> str | Response:
    election = load_election(election_id)
    mine = my_electors(election)
    candidates = electors.eligible_candidates(election)
    form = NominateForm()
    form.candidate.choices = choice_list((str(u.id), u.name) for u in candidates)
    form.elector.choices = elector_choices(mine)
    if form.validate_on_submit():
        candidate = next(u for u in candidates if str(u.id) == form.candidate.data)
        elector = chosen_elector(mine, form.elector.data)
        with refusal_shown_on(form) as refused:
            nominations.nominate(acting_user(), election, elector, candidate, utcnow())
        if not refused:
            flash(f"{candidate.name} is nominated. Another elector must second it.", "info")
            return redirect(url_for(".election", election_id=election.id, _anchor="candidates"))
    return render_election(election, nominate_form=form)


@blueprint.post("/<int:election_id>/nominations/<int:nomination_id>/second")
@login_required
def second(election_id: int, nomination_id: int) -> str | Response:
    election, nomination = load_nomination(election_id, nomination_id)
    mine = my_electors(election)
    form = SecondForm()
    form.elector.choices = elector_choices(mine)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            nominations.second(
                acting_user(), nomination, chosen_elector(mine, form.elector.data), utcnow()
            )
        if not refused:
            flash(f"You seconded the nomination of {nomination.candidate.name}.", "info")
            return redirect(url_for(".election", election_id=election.id, _anchor="candidates"))
    return render_election(election, second_form=form)


@blueprint.route(
    "/<int:election_id>/nominations/<int:nomination_id>/accept", methods=["GET", "POST"]
)
@login_required
def accept(election_id: int, nomination_id: int) -> str | Response:
    election, nomination = load_nomination(election_id, nomination_id)
    if nomination.candidate_id != current_user.id:
        abort(403)
    form = AcceptForm()
    if request.method == "GET":
        form.statement.data = nomination.statement_markdown
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            nominations.accept(acting_user(), nomination, form.statement.data or "", utcnow())
        if not refused:
            flash("You are a candidate in this election.", "info")
            return redirect(url_for(".election", election_id=election.id, _anchor="candidates"))
    return render_template(
        "elections/accept.html", election=election, nomination=nomination, form=form
    )


@blueprint.route(
    "/<int:election_id>/nominations/<int:nomination_id>/withdraw", methods=["GET", "POST"]
)
@login_required
def withdraw(election_id: int, nomination_id: int) -> str | Response:
    """The check page (GET) and the withdrawal (POST), by the candidate or an officer."""
    election, nomination = load_nomination(election_id, nomination_id)
    user = acting_user()
    by_self = nomination.candidate_id == user.id
    if not by_self and not can_manage_elections(user, election.area):
        abort(403)
    form = WithdrawForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            nominations.withdraw(user, nomination, form.reason.data or "", utcnow())
        if not refused:
            flash(withdrawn_message(nomination, by_self), "info")
            return redirect(url_for(".election", election_id=election.id, _anchor="candidates"))
    return render_template(
        "elections/withdraw.html",
        election=election,
        nomination=nomination,
        form=form,
        by_self=by_self,
        allowed=nominations.may_withdraw(user, nomination, utcnow()),
    )
