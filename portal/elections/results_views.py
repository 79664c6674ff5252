"""An election's results: the count sheet and chart, publishing the result as a statement,
and the ballots file of an open election."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.elections import publishing, scrutiny
from portal.elections.blueprint import blueprint, load_election
from portal.elections.charts import count_chart
from portal.elections.forms import PublishResultForm
from portal.elections.models import Election, ElectionState
from portal.elections.permissions import (
    can_download_ballots,
    can_manage_elections,
    can_see_results,
)
from portal.elections.presenters import published_message
from portal.errors import DomainError
from portal.http import acting_user, refusal_shown_on
from portal.positions.models import Tier
from portal.statements import election_results
from portal.statements.election_results import Preview
from portal.statements.models import Statement
from portal.statements.queries import readable_statement_of_election


def _election_with_results(election_id: int) -> Election:
    """The election, if this user may see its results (else 404)."""
    election = load_election(election_id)
    if not can_see_results(current_user, election):
        abort(404)
    return election


@blueprint.get("/<int:election_id>/results")
@login_required
def results(election_id: int) -> str:
    election = _election_with_results(election_id)
    result = election.result or {}
    manager = can_manage_elections(current_user, election.area)
    return render_template(
        "elections/results.html",
        election=election,
        result=result,
        chart=count_chart(result) if election.state is ElectionState.COUNTED else None,
        can_download=can_download_ballots(current_user, election),
        scrutineer_link=scrutiny.scrutineer_for(current_user, election) is not None
        and election.sealed_ballots_blt is not None,
        statement=readable_statement_of_election(election.id, current_user),
        publish_form=(
            PublishResultForm(formdata=None)
            if manager and election.state in publishing.PUBLISHABLE
            else None
        ),
    )


@blueprint.route("/<int:election_id>/results/publish", methods=["GET", "POST"])
@login_required
def publish_result(election_id: int) -> str | Response:
    """Publish the result as a statement, at the officer's choice: choose its readers, then
    check the statement exactly as they will see it; only the check page's button publishes."""
    election = _election_with_results(election_id)
    if not can_manage_elections(current_user, election.area):
        abort(403)
    form = PublishResultForm()
    try:
        result = publishing.result_for_statement(election)
        seen = election_results.preview(acting_user(), election.area, result)
    except DomainError as error:
        return _publish_page(election, None, problem=error.message)
    if form.validate_on_submit():
        tier = Tier(form.tier.data)
        if form.confirmed.data != "yes":
            return _check_page(election, form, seen, tier)
        with refusal_shown_on(form) as refused:
            statement = election_results.publish_election_result(
                acting_user(), election.area, result, tier, utcnow()
            )
        if not refused:
            return _published(statement)
    return _publish_page(election, form)


def _check_page(election: Election, form: PublishResultForm, seen: Preview, tier: Tier) -> str:
    """The second step: the statement exactly as its readers will see it, and the button."""
    return render_template(
        "elections/publish_result_check.html", election=election, form=form, preview=seen, tier=tier
    )


def _published(statement: Statement) -> Response:
    flash(published_message(statement), "success")
    return redirect(url_for("statements.statement", reference=statement.reference))


def _publish_page(
    election: Election, form: PublishResultForm | None, problem: str | None = None
) -> str:
    """The first step: choose the statement's readers, or why the result cannot be one."""
    return render_template(
        "elections/publish_result.html", election=election, form=form, problem=problem
    )


@blueprint.get("/<int:election_id>/ballots.blt")
@login_required
def ballots_blt(election_id: int) -> Response:
    election = load_election(election_id)
    if not can_download_ballots(current_user, election):
        abort(404)
    return Response(
        election.ballots_blt or "",
        mimetype="text/plain",
        headers={
            "Content-Disposition": f'attachment; filename="election-{election.id}-ballots.blt"'
        },
    )
