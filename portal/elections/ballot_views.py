"""The ranked ballot: rank, check, confirm, the receipt, and checking a receipt code.

A ranking on its way to the check page waits in the session, not in the address."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.elections import ballots
from portal.elections.blueprint import blueprint, chosen_elector, load_election, my_electors
from portal.elections.forms import (
    ConfirmBallotForm,
    ReceiptForm,
    ballot_form,
    fill_ranking,
    read_ranking,
)
from portal.elections.models import Election, Elector
from portal.elections.presenters import ranked_names
from portal.http import acting_user, refusal_shown_on


def _voting_elector(election: Election, value: str | None) -> Elector:
    mine = my_electors(election)
    if value is None and len(mine) == 1:
        return mine[0]
    return chosen_elector(mine, value)


def _election_and_elector(election_id: int, value: str | None) -> tuple[Election, Elector]:
    election = load_election(election_id)
    return election, _voting_elector(election, value)


def _pending_key(election: Election, elector: Elector) -> str:
    return f"pending-ranking-{election.id}-{elector.id}"


def _refuse_unless_voting(election: Election) -> Response | None:
    if ballots.voting_open(election, utcnow()):
        return None
    flash("Voting is not open in this election.", "error")
    return redirect(url_for(".election", election_id=election.id))


@blueprint.route("/<int:election_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(election_id: int) -> str | Response:
    election, elector = _election_and_elector(election_id, request.values.get("elector"))
    if refused := _refuse_unless_voting(election):
        return refused
    candidates = election.candidates
    form = ballot_form(candidates, formdata=request.form if request.method == "POST" else None)
    key = _pending_key(election, elector)
    if request.method == "POST" and form.validate():
        if (ranking := read_ranking(form, candidates)) is not None:
            session[key] = ranking
            return redirect(url_for(".check", election_id=election.id, elector=elector.id))
    elif request.method == "GET" and session.get(key):
        fill_ranking(form, session[key])
    return render_template(
        "elections/ballot.html",
        election=election,
        elector=elector,
        candidates=candidates,
        form=form,
        has_voted=ballots.ballot_of(elector) is not None,
    )


@blueprint.get("/<int:election_id>/ballot/check")
@login_required
def check(election_id: int) -> str | Response:
    election, elector = _election_and_elector(election_id, request.args.get("elector"))
    if refused := _refuse_unless_voting(election):
        return refused
    ranking = session.get(_pending_key(election, elector))
    by_id = {n.id: n for n in election.candidates}
    if not ranking or any(n not in by_id for n in ranking):
        return redirect(url_for(".ballot", election_id=election.id, elector=elector.id))
    return render_template(
        "elections/check.html",
        election=election,
        elector=elector,
        ranked=[by_id[n] for n in ranking],
        form=ConfirmBallotForm(
            ranking=",".join(map(str, ranking)), elector=str(elector.id), formdata=None
        ),
        has_voted=ballots.ballot_of(elector) is not None,
    )


@blueprint.post("/<int:election_id>/ballot/confirm")
@login_required
def confirm(election_id: int) -> str | Response:
    election = load_election(election_id)
    form = ConfirmBallotForm()
    if not form.validate_on_submit():
        abort(400)
    elector = _voting_elector(election, form.elector.data)
    ranking = form.ranking_ids()
    if ranking is None:
        abort(400)
    with refusal_shown_on() as refused:
        _, code = ballots.cast(acting_user(), election, elector, ranking, utcnow())
    if refused:
        return redirect(url_for(".election", election_id=election.id))
    session.pop(_pending_key(election, elector), None)
    return render_template(
        "elections/receipt.html",
        election=election,
        elector=elector,
        code=code,
        ranked=ranked_names(election, ranking),
    )


@blueprint.route("/<int:election_id>/receipt", methods=["GET", "POST"])
@login_required
def receipt(election_id: int) -> str:
    """Check a receipt code (a POST that reads only: the code must not go into the address)."""
    election = load_election(election_id)
    form = ReceiptForm()
    found = None
    searched = False
    if form.validate_on_submit():
        searched = True
        found = ballots.check_receipt(election, form.code.data)
    return render_template(
        "elections/receipt_check.html",
        election=election,
        form=form,
        found=found,
        searched=searched,
    )
