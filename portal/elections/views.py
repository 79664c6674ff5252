"""Elections: list, set-up, nominations, the ranked ballot, the count and the results.

Views are thin: load the election (404 when the user may not see it), authorise (403 for what
the user may see but not do), validate the form and call one service. No GET changes
anything: nominations close and counts run from ``flask --app wsgi close-due-elections`` or
an officer's POST once the time has passed. A ranking on its way to the check page waits in
the session, not in the address.

A secret election's scrutineer pages (``/scrutiny``) answer only its named scrutineers (404
for anyone else, officers included: naming scrutineers gives an officer no way into the
ballots). Opening the sealed ballots file is a POST, because it is audited.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.accounts.forms import ConfirmForm
from portal.database import utcnow
from portal.elections import publishing, scrutiny, services
from portal.elections.charts import count_chart
from portal.elections.forms import (
    AcceptForm,
    ConfirmBallotForm,
    ElectionForm,
    NominateForm,
    PublishResultForm,
    ReceiptForm,
    ScrutineersForm,
    SecondForm,
    WithdrawForm,
    ballot_form,
    choice_list,
    read_ranking,
)
from portal.elections.models import (
    Election,
    ElectionScrutineer,
    ElectionState,
    Elector,
    Nomination,
    NominationState,
)
from portal.elections.permissions import (
    can_download_ballots,
    can_manage_elections,
    can_see_elections,
    can_see_results,
)
from portal.errors import DomainError
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.markdown import render_markdown
from portal.names import display_name
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.organisations.models import Organisation, OrganisationKind
from portal.positions.models import Tier
from portal.statements import election_results
from portal.statements.queries import readable_statement_of_election
from portal.times import london_datetime
from portal.voting.forms import ScrutineerOpenForm, ScrutineerPassphraseForm
from portal.voting.scrutiny import find_scrutineers

blueprint = Blueprint(
    "elections", __name__, url_prefix="/areas/<area_slug>/elections", template_folder="templates"
)
bind_area(blueprint)
add_link(blueprint, "Elections", "elections.index", order=35, visible=can_see_elections)

STATES = {
    ElectionState.NOMINATIONS: ("Nominations", "blue"),
    ElectionState.VOTING: ("Voting", "green"),
    ElectionState.COUNTED: ("Result", "purple"),
    ElectionState.UNOPPOSED: ("Elected unopposed", "purple"),
    ElectionState.NO_CANDIDATES: ("No candidates", "grey"),
}


@blueprint.before_request
def _require_group_member() -> None:
    if not can_see_elections(current_user, g.area):
        abort(404)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {"states": STATES, "render_markdown": render_markdown}


def _election(election_id: int) -> Election:
    election = db.session.get(Election, election_id)
    if election is None or election.area_id != g.area.id:
        abort(404)
    return election


def _nomination(election: Election, nomination_id: int) -> Nomination:
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or nomination.election_id != election.id:
        abort(404)
    return nomination


def _elector_choices(electors: list[Elector]) -> list[SelectChoice]:
    return choice_list((str(e.id), e.label) for e in electors)


def _chosen_elector(electors: list[Elector], value: str | None) -> Elector:
    chosen = next((e for e in electors if str(e.id) == value), None)
    if chosen is None:
        abort(403)
    return chosen


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
            election = services.create_election(acting_user(), g.area, form.details(), utcnow())
        if not refused:
            flash(f"The election is set up: {len(election.electors)} electors.", "info")
            return redirect(url_for(".election", election_id=election.id))
    return render_template("elections/new.html", form=form)


def _render_election(election: Election, **forms: Any) -> str:
    user = acting_user()
    now = utcnow()
    mine = services.electors_for(user, election)
    nominate_form = forms.get("nominate_form") or NominateForm(formdata=None)
    taken = {n.candidate_id for n in election.nominations}
    nominate_form.candidate.choices = choice_list(
        [("", "Choose a candidate")]
        + [(str(u.id), u.name) for u in services.eligible_candidates(election) if u.id not in taken]
    )
    nominate_form.elector.choices = _elector_choices(mine)
    second_form = forms.get("second_form") or SecondForm(formdata=None)
    second_form.elector.choices = _elector_choices(mine)
    ballots = {e.id: services.ballot_of(e) is not None for e in mine}
    return render_template(
        "elections/election.html",
        election=election,
        now=now,
        mine=mine,
        has_voted=ballots,
        nominations_open=election.state is ElectionState.NOMINATIONS
        and now < election.nominations_close_at,
        voting_open=services.voting_open(election, now),
        manager=can_manage_elections(user, election.area),
        nominate_form=nominate_form,
        second_form=second_form,
        confirm_form=ConfirmForm(formdata=None),
        NominationState=NominationState,
        may_withdraw={n.id for n in election.candidates if services.may_withdraw(user, n, now)},
        scrutineer=scrutiny.scrutineer_for(user, election),
    )


@blueprint.get("/<int:election_id>")
@login_required
def election(election_id: int) -> str:
    return _render_election(_election(election_id))


@blueprint.post("/<int:election_id>/nominations")
@login_required
def nominate(election_id: int) -> str | Response:
    election = _election(election_id)
    mine = services.electors_for(acting_user(), election)
    if not mine:
        abort(403)
    form = NominateForm()
    form.candidate.choices = choice_list(
        (str(u.id), u.name) for u in services.eligible_candidates(election)
    )
    form.elector.choices = _elector_choices(mine)
    if form.validate_on_submit():
        candidate = next(
            u for u in services.eligible_candidates(election) if str(u.id) == form.candidate.data
        )
        with refusal_shown_on(form) as refused:
            services.nominate(
                acting_user(),
                election,
                _chosen_elector(mine, form.elector.data),
                candidate,
                utcnow(),
            )
        if not refused:
            flash(f"{candidate.name} is nominated. Another elector must second it.", "info")
            return redirect(url_for(".election", election_id=election.id, _anchor="candidates"))
    return _render_election(election, nominate_form=form)


@blueprint.post("/<int:election_id>/nominations/<int:nomination_id>/second")
@login_required
def second(election_id: int, nomination_id: int) -> str | Response:
    election = _election(election_id)
    nomination = _nomination(election, nomination_id)
    mine = services.electors_for(acting_user(), election)
    if not mine:
        abort(403)
    form = SecondForm()
    form.elector.choices = _elector_choices(mine)
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.second(
                acting_user(), nomination, _chosen_elector(mine, form.elector.data), utcnow()
            )
        if not refused:
            flash(f"You seconded the nomination of {nomination.candidate.name}.", "info")
            return redirect(url_for(".election", election_id=election.id, _anchor="candidates"))
    return _render_election(election, second_form=form)


@blueprint.route(
    "/<int:election_id>/nominations/<int:nomination_id>/accept", methods=["GET", "POST"]
)
@login_required
def accept(election_id: int, nomination_id: int) -> str | Response:
    election = _election(election_id)
    nomination = _nomination(election, nomination_id)
    if nomination.candidate_id != current_user.id:
        abort(403)
    form = AcceptForm()
    if request.method == "GET":
        form.statement.data = nomination.statement_markdown
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.accept(acting_user(), nomination, form.statement.data or "", utcnow())
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
    election = _election(election_id)
    nomination = _nomination(election, nomination_id)
    user = acting_user()
    by_self = nomination.candidate_id == user.id
    if not by_self and not can_manage_elections(user, election.area):
        abort(403)
    form = WithdrawForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.withdraw(user, nomination, form.reason.data or "", utcnow())
        if not refused:
            flash(
                "You have withdrawn."
                if by_self
                else f"{nomination.candidate.name} is withdrawn from this election.",
                "info",
            )
            return redirect(url_for(".election", election_id=election.id, _anchor="candidates"))
    return render_template(
        "elections/withdraw.html",
        election=election,
        nomination=nomination,
        form=form,
        by_self=by_self,
        allowed=services.may_withdraw(user, nomination, utcnow()),
    )


@blueprint.route("/<int:election_id>/scrutineers", methods=["GET", "POST"])
@login_required
def scrutineers(election_id: int) -> str | Response:
    """An officer names a secret election's scrutineers, or others, while nominations last."""
    election = _election(election_id)
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


@blueprint.post("/<int:election_id>/close-nominations")
@login_required
def close_nominations(election_id: int) -> Response:
    election = _election(election_id)
    if not can_manage_elections(current_user, election.area):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        services.close_nominations(election, utcnow(), acting_user())
    if not refused:
        flash("Nominations are closed.", "info")
    return redirect(url_for(".election", election_id=election.id))


@blueprint.post("/<int:election_id>/count")
@login_required
def count_now(election_id: int) -> Response:
    election = _election(election_id)
    if not can_manage_elections(current_user, election.area):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        services.count_election(election, utcnow(), acting_user())
    if refused:
        return redirect(url_for(".election", election_id=election.id))
    return redirect(url_for(".results", election_id=election.id))


# --- the ballot: rank, check, cast, receipt --------------------------------------------------


def _voting_elector(election: Election, value: str | None) -> Elector:
    mine = services.electors_for(acting_user(), election)
    if not mine:
        abort(403)
    if value is None and len(mine) == 1:
        return mine[0]
    return _chosen_elector(mine, value)


def _pending_key(election: Election, elector: Elector) -> str:
    return f"pending-ranking-{election.id}-{elector.id}"


def _refuse_unless_voting(election: Election) -> Response | None:
    if services.voting_open(election, utcnow()):
        return None
    flash("Voting is not open in this election.", "error")
    return redirect(url_for(".election", election_id=election.id))


@blueprint.route("/<int:election_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(election_id: int) -> str | Response:
    election = _election(election_id)
    elector = _voting_elector(election, request.values.get("elector"))
    refused = _refuse_unless_voting(election)
    if refused:
        return refused
    candidates = election.candidates
    form = ballot_form(candidates, formdata=request.form if request.method == "POST" else None)
    key = _pending_key(election, elector)
    if request.method == "POST" and form.validate():
        ranking = read_ranking(form, candidates)
        if ranking is not None:
            session[key] = ranking
            return redirect(url_for(".check", election_id=election.id, elector=elector.id))
    elif request.method == "GET" and session.get(key):
        for position, nomination_id in enumerate(session[key], start=1):
            field = getattr(form, f"rank_{nomination_id}", None)
            if field is not None:
                field.data = str(position)
    return render_template(
        "elections/ballot.html",
        election=election,
        elector=elector,
        candidates=candidates,
        form=form,
        has_voted=services.ballot_of(elector) is not None,
    )


@blueprint.get("/<int:election_id>/ballot/check")
@login_required
def check(election_id: int) -> str | Response:
    election = _election(election_id)
    elector = _voting_elector(election, request.args.get("elector"))
    refused = _refuse_unless_voting(election)
    if refused:
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
        has_voted=services.ballot_of(elector) is not None,
    )


@blueprint.post("/<int:election_id>/ballot/confirm")
@login_required
def confirm(election_id: int) -> str | Response:
    election = _election(election_id)
    form = ConfirmBallotForm()
    if not form.validate_on_submit():
        abort(400)
    elector = _voting_elector(election, form.elector.data)
    try:
        ranking = [int(part) for part in (form.ranking.data or "").split(",")]
    except ValueError:
        abort(400)
    with refusal_shown_on() as refused:
        _, code = services.cast(acting_user(), election, elector, ranking, utcnow())
    if refused:
        return redirect(url_for(".election", election_id=election.id))
    session.pop(_pending_key(election, elector), None)
    names = {n.id: n.candidate.name for n in election.candidates}
    return render_template(
        "elections/receipt.html",
        election=election,
        elector=elector,
        code=code,
        ranked=[names[n] for n in ranking],
    )


@blueprint.route("/<int:election_id>/receipt", methods=["GET", "POST"])
@login_required
def receipt(election_id: int) -> str:
    """Check a receipt code (a POST that reads only: the code must not go into the address)."""
    election = _election(election_id)
    form = ReceiptForm()
    found = None
    searched = False
    if form.validate_on_submit():
        searched = True
        found = services.check_receipt(election, form.code.data)
    return render_template(
        "elections/receipt_check.html",
        election=election,
        form=form,
        found=found,
        searched=searched,
    )


# --- results ---------------------------------------------------------------------------------


@blueprint.get("/<int:election_id>/results")
@login_required
def results(election_id: int) -> str:
    election = _election(election_id)
    if not can_see_results(current_user, election):
        abort(404)
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
    election = _election(election_id)
    if not can_see_results(current_user, election):
        abort(404)
    if not can_manage_elections(current_user, election.area):
        abort(403)
    form = PublishResultForm()
    try:
        result = publishing.result_for_statement(election)
        seen = election_results.preview(acting_user(), election.area, result)
    except DomainError as error:
        return render_template(
            "elections/publish_result.html", election=election, form=None, problem=error.message
        )
    if form.validate_on_submit():
        tier = Tier(form.tier.data)
        if form.confirmed.data != "yes":
            return render_template(
                "elections/publish_result_check.html",
                election=election,
                form=form,
                preview=seen,
                tier=tier,
            )
        with refusal_shown_on(form) as refused:
            statement = election_results.publish_election_result(
                acting_user(), election.area, result, tier, utcnow()
            )
        if not refused:
            flash(
                f"Statement {statement.reference} was published at "
                f"{london_datetime(statement.published_at)}.",
                "success",
            )
            return redirect(url_for("statements.statement", reference=statement.reference))
    return render_template(
        "elections/publish_result.html", election=election, form=form, problem=None
    )


def _own_scrutineer(election: Election) -> ElectionScrutineer:
    scrutineer = scrutiny.scrutineer_for(current_user, election)
    if scrutineer is None:
        abort(404)
    return scrutineer


def _render_scrutineer(
    election: Election,
    scrutineer: ElectionScrutineer,
    passphrase_form: ScrutineerPassphraseForm | None = None,
    open_form: ScrutineerOpenForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "elections/scrutineer.html",
        election=election,
        scrutineer=scrutineer,
        before_count=election.state in (ElectionState.NOMINATIONS, ElectionState.VOTING),
        passphrase_form=passphrase_form or ScrutineerPassphraseForm(formdata=None),
        open_form=open_form or ScrutineerOpenForm(formdata=None),
    ), status


@blueprint.get("/<int:election_id>/scrutiny")
@login_required
def scrutineer(election_id: int) -> tuple[str, int]:
    election = _election(election_id)
    return _render_scrutineer(election, _own_scrutineer(election))


@blueprint.post("/<int:election_id>/scrutiny/passphrase")
@login_required
def set_scrutineer_passphrase(election_id: int) -> tuple[str, int] | Response:
    election = _election(election_id)
    member = _own_scrutineer(election)
    form = ScrutineerPassphraseForm()
    if not form.validate_on_submit():
        return _render_scrutineer(election, member, passphrase_form=form, status=400)
    with refusal_shown_on(form) as refused:
        scrutiny.set_passphrase(
            acting_user(),
            election,
            form.passphrase.data or "",
            form.confirmation.data or "",
            utcnow(),
        )
    if refused:
        return _render_scrutineer(election, member, passphrase_form=form, status=400)
    flash("Your passphrase is set. Keep it safe: nobody can recover it for you.", "info")
    return redirect(url_for(".scrutineer", election_id=election.id))


@blueprint.post("/<int:election_id>/scrutiny/ballots")
@login_required
def open_ballots(election_id: int) -> tuple[str, int] | Response:
    election = _election(election_id)
    member = _own_scrutineer(election)
    form = ScrutineerOpenForm()
    if not form.validate_on_submit():
        return _render_scrutineer(election, member, open_form=form, status=400)
    raw = b""
    with refusal_shown_on(form) as refused:
        raw = scrutiny.open_ballots(acting_user(), election, form.passphrase.data or "")
    if refused:
        return _render_scrutineer(election, member, open_form=form, status=400)
    return Response(
        raw,
        mimetype="text/plain",
        headers={
            "Content-Disposition": f'attachment; filename="election-{election.id}-ballots.blt"',
            "Cache-Control": "no-store",
        },
    )


@blueprint.get("/<int:election_id>/ballots.blt")
@login_required
def ballots_blt(election_id: int) -> Response:
    election = _election(election_id)
    if not can_download_ballots(current_user, election):
        abort(404)
    return Response(
        election.ballots_blt or "",
        mimetype="text/plain",
        headers={
            "Content-Disposition": f'attachment; filename="election-{election.id}-ballots.blt"'
        },
    )
