"""What officers do to set a vote up and run it: write or edit the draft, check and open it,
cancel it, rule on a declared conflict.

Authorise first (403 for an officer's action by anyone else who may see the vote), then
validate the form and call one service."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.accounts.forms import ConfirmForm
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.names import display_name
from portal.organisations.models import Organisation, OrganisationKind
from portal.times import london_datetime
from portal.voting import closing, conflicts, opening, scrutiny, services, setup_check
from portal.voting.blueprint import blueprint, load_vote
from portal.voting.forms import CancelVoteForm, choice_list
from portal.voting.models import ConflictDeclaration, ConflictRuling, Vote, VoteState
from portal.voting.permissions import can_manage_votes
from portal.voting.presenters import proposal_choices
from portal.voting.published import how_decided_for
from portal.voting.setup_forms import VoteForm, new_vote_data, vote_data
from portal.voting.vote_views import render_vote, ruling_form


def _pcn_choices(vote: Vote | None) -> list[Any]:
    pcns = db.session.execute(
        sa.select(Organisation)
        .where(
            Organisation.area_id == g.area.id,
            Organisation.kind == OrganisationKind.PCN,
            Organisation.closed_on.is_(None),
        )
        .order_by(Organisation.name)
    ).scalars()
    choices = [(pcn.ods_code, f"{display_name(pcn.name)} ({pcn.ods_code})") for pcn in pcns]
    known = {code for code, _ in choices}
    # A network chosen for a draft that has since closed stays visible, so it can be unticked.
    chosen = (vote.pcn_codes if vote else None) or []
    choices += [(code, code) for code in chosen if code not in known]
    return choice_list(choices)


def _save_vote(form: VoteForm, vote: Vote | None) -> str | Response:
    warning = None
    if form.validate_on_submit():
        if form.use_banded.data:
            form.switch_to_banded()
        details = form.details()
        if not (form.keep_weights.data or form.use_banded.data):
            warning = setup_check.for_details(g.area, details)
        if warning is None:
            with refusal_shown_on(form) as refused:
                details = dataclasses.replace(
                    details,
                    scrutineers=scrutiny.find_scrutineers(g.area, form.scrutineers.data or ""),
                )
                if vote is None:
                    vote = services.create_vote(acting_user(), g.area, details)
                    message = "The vote has been saved as a draft. Open it when it is ready."
                else:
                    services.update_vote(acting_user(), vote, details)
                    message = "The draft has been saved."
            if not refused:
                if form.use_banded.data:
                    message += " Weights are in bands of patients, so more practices share one."
                flash(message, "info")
                return redirect(url_for(".vote", vote_id=vote.id))
    return render_template("voting/edit.html", form=form, vote=vote, warning=warning)


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    if not can_manage_votes(current_user, g.area):
        abort(403)
    form = VoteForm() if request.method == "POST" else VoteForm(data=new_vote_data(utcnow()))
    form.pcn_codes.choices = _pcn_choices(None)
    form.proposal.choices = proposal_choices(g.area)
    return _save_vote(form, None)


@blueprint.route("/<int:vote_id>/edit", methods=["GET", "POST"])
@login_required
def edit(vote_id: int) -> str | Response:
    vote = load_vote(vote_id)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    if vote.state is not VoteState.DRAFT:
        flash("The rules and text cannot change once the vote has opened.", "error")
        return redirect(url_for(".vote", vote_id=vote.id))
    form = VoteForm() if request.method == "POST" else VoteForm(data=vote_data(vote))
    form.pcn_codes.choices = _pcn_choices(vote)
    form.proposal.choices = proposal_choices(g.area)
    return _save_vote(form, vote)


@blueprint.get("/<int:vote_id>/open")
@login_required
def open_check(vote_id: int) -> str | Response:
    """Check before opening: what is put to the vote, how it is decided, who is emailed."""
    vote = load_vote(vote_id)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    if vote.state is not VoteState.DRAFT:
        return redirect(url_for(".vote", vote_id=vote_id))
    return render_template(
        "voting/open_check.html",
        vote=vote,
        opening=opening.preview(vote, utcnow()),
        how_decided=how_decided_for(vote),
        exposure=setup_check.for_vote(vote),
        form=ConfirmForm(),
    )


@blueprint.post("/<int:vote_id>/open")
@login_required
def open_vote(vote_id: int) -> Response:
    vote = load_vote(vote_id)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        services.open_vote(acting_user(), vote, utcnow())
    if not refused:
        flash(
            f"The vote opened at {london_datetime(vote.opened_at)} to "
            f"{len(vote.electorate)} organisations. "
            "Those who cast their ballots have been emailed.",
            "info",
        )
    return redirect(url_for(".vote", vote_id=vote_id))


@blueprint.post("/<int:vote_id>/cancel")
@login_required
def cancel_vote(vote_id: int) -> str | Response:
    vote = load_vote(vote_id)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    form = CancelVoteForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            closing.cancel_vote(acting_user(), vote, form.reason.data, utcnow())
        if not refused:
            flash("The vote has been cancelled. No ballot will be counted.", "info")
            return redirect(url_for(".vote", vote_id=vote.id))
    return render_vote(vote, cancel_form=form)


@blueprint.post("/<int:vote_id>/conflicts/<int:declaration_id>")
@login_required
def rule_on_conflict(vote_id: int, declaration_id: int) -> str | Response:
    vote = load_vote(vote_id)
    declaration = db.session.get(ConflictDeclaration, declaration_id)
    if declaration is None or declaration.vote_id != vote.id:
        abort(404)
    if not can_manage_votes(current_user, vote.area):
        abort(403)
    form = ruling_form(declaration, formdata=True)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            conflicts.rule_on_conflict(
                acting_user(), declaration, ConflictRuling(form.ruling.data), utcnow()
            )
        if not refused:
            flash(f"The ruling on {declaration.organisation.name}'s conflict is recorded.", "info")
            return redirect(url_for(".vote", vote_id=vote.id, _anchor="officer"))
    return render_vote(vote, ruling_forms={declaration.id: form})
