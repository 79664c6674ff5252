"""The list of an area's elections, setting one up, and an election's page (its timetable,
candidates, the nominating and seconding forms, the way to the ballot, and for officers the
form to move its dates)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.accounts.forms import ConfirmForm
from portal.database import utcnow
from portal.elections import ballots, closing, electors, nominations, scrutiny, setup
from portal.elections.blueprint import blueprint, load_election
from portal.elections.forms import (
    ElectionForm,
    NominateForm,
    SecondForm,
    choice_list,
    dates_form,
    elector_choices,
)
from portal.elections.models import Election, ElectionState, NominationState
from portal.elections.permissions import can_manage_elections
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.names import display_name
from portal.organisations.models import Organisation, OrganisationKind


@blueprint.get("/")
@login_required
def index() -> str:
    elections = list(
        db.session.execute(
            sa.select(Election)
            .where(Election.area_id == g.area.id)
            .order_by(Election.created_at.desc(), Election.id.desc())
        ).scalars()
    )
    return render_template(
        "elections/index.html",
        elections=elections,
        manager=can_manage_elections(current_user, g.area),
    )


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    if not can_manage_elections(current_user, g.area):
        abort(403)
    form = ElectionForm()
    form.pcn_codes.choices = choice_list(
        (pcn.ods_code, f"{display_name(pcn.name)} ({pcn.ods_code})")
        for pcn in db.session.execute(
            sa.select(Organisation)
            .where(Organisation.area_id == g.area.id, Organisation.kind == OrganisationKind.PCN)
            .order_by(Organisation.name)
        ).scalars()
    )
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            election = setup.create_election(acting_user(), g.area, form.details(), utcnow())
        if not refused:
            flash(f"The election is set up: {len(election.electors)} electors.", "info")
            return redirect(url_for(".election", election_id=election.id))
    return render_template("elections/new.html", form=form)


def render_election(election: Election, **forms: Any) -> str:
    user = acting_user()
    now = utcnow()
    mine = electors.electors_for(user, election)
    nominate_form = forms.get("nominate_form") or NominateForm(formdata=None)
    taken = {n.candidate_id for n in election.nominations}
    nominate_form.candidate.choices = choice_list(
        [("", "Choose a candidate")]
        + [(str(u.id), u.name) for u in electors.eligible_candidates(election) if u.id not in taken]
    )
    nominate_form.elector.choices = elector_choices(mine)
    second_form = forms.get("second_form") or SecondForm(formdata=None)
    second_form.elector.choices = elector_choices(mine)
    has_voted = {e.id: ballots.ballot_of(e) is not None for e in mine}
    return render_template(
        "elections/election.html",
        election=election,
        now=now,
        mine=mine,
        has_voted=has_voted,
        nominations_open=election.state is ElectionState.NOMINATIONS
        and now < election.nominations_close_at,
        voting_open=ballots.voting_open(election, now),
        manager=can_manage_elections(user, election.area),
        nominate_form=nominate_form,
        second_form=second_form,
        dates_form=forms["dates_form"]
        if "dates_form" in forms
        else dates_form(election, now, posted=False),
        voting_dates_passed=closing.voting_dates_passed(election, now),
        confirm_form=ConfirmForm(formdata=None),
        NominationState=NominationState,
        may_withdraw={n.id for n in election.candidates if nominations.may_withdraw(user, n, now)},
        scrutineer=scrutiny.scrutineer_for(user, election),
    )


@blueprint.get("/<int:election_id>")
@login_required
def election(election_id: int) -> str:
    return render_election(load_election(election_id))
