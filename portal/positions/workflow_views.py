"""A draft's way to the vote: opening the consultation, putting the draft or an amendment to
the vote (after a check page, since opening emails every organisation that votes and cannot be
undone), and returning it to drafting."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.http import acting_user, refusal_shown_on
from portal.positions import amendments as amending
from portal.positions import forms, permissions, workflow
from portal.positions.blueprint import blueprint, confirmed, load_amendment, load_position
from portal.positions.consultation_views import render_end_page, unaccepted_late_end
from portal.positions.draft_views import render_position
from portal.positions.models import Amendment, Position
from portal.times import london_datetime
from portal.voting import explain, setup
from portal.voting import rules as counting
from portal.voting.models import BallotSecrecy


def _vote_form() -> forms.VoteRulesForm:
    if request.method == "POST":
        return forms.VoteRulesForm()
    return forms.VoteRulesForm(data=forms.new_vote_rules_data(utcnow()))


@blueprint.route(
    "/positions/<int:position_id>/amendments/<int:amendment_id>/vote", methods=["GET", "POST"]
)
def amendment_vote(position_id: int, amendment_id: int) -> str | Response:
    position = load_position(position_id)
    amendment = load_amendment(position, amendment_id)
    if not permissions.can_put_amendment_to_vote(current_user, amendment, position):
        abort(403)
    form = _vote_form()
    if _ready_to_check(position, form):
        checking = _vote_check(position, amendment, form)
        if checking is not None:
            return checking
        with refusal_shown_on(form) as refused:
            vote = workflow.put_amendment_to_vote(
                acting_user(), position, amendment, form.settings(), utcnow()
            )
        if not refused:
            opened = london_datetime(vote.opened_at)
            flash(AMENDMENT_PUT_TO_VOTE.format(title=vote.title, opened=opened), "info")
            return redirect(url_for(".position", position_id=position.id, _anchor="amendments"))
    return _render_amendment_vote(position, amendment, form)


AMENDMENT_PUT_TO_VOTE = "The amendment has been put to the vote: {title}. It opened at {opened}."


def _render_amendment_vote(
    position: Position, amendment: Amendment, form: forms.VoteRulesForm
) -> str:
    return render_template(
        "positions/vote_form.html",
        position=position,
        amendment=amendment,
        original=amending.original_paragraph(amendment),
        question=workflow.amendment_question(amendment),
        form=form,
    )


@blueprint.post("/positions/<int:position_id>/consultation")
def open_consultation(position_id: int) -> str | Response | tuple[str, int]:
    position = load_position(position_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    form = forms.ConsultationForm()
    if form.validate_on_submit():
        assert form.ends_at is not None
        late = unaccepted_late_end(position, form)
        if late is not None:
            return render_end_page(position, form, late, opening=True)
        with refusal_shown_on(form) as refused:
            workflow.open_consultation(acting_user(), position, form.ends_at, utcnow())
        if not refused:
            flash(
                "The consultation is open: members can comment and propose amendments until "
                f"{london_datetime(form.ends_at)}. They have been emailed a link.",
                "info",
            )
            return redirect(url_for(".position", position_id=position.id))
    return render_position(load_position(position_id), consultation_form=form)


@blueprint.route("/positions/<int:position_id>/vote", methods=["GET", "POST"])
def open_vote(position_id: int) -> str | Response:
    position = load_position(position_id)
    if not permissions.can_open_vote(current_user, position):
        abort(403)
    form = _vote_form()
    if _ready_to_check(position, form):
        checking = _vote_check(position, None, form)
        if checking is not None:
            return checking
        with refusal_shown_on(form) as refused:
            vote = workflow.open_position_vote(acting_user(), position, form.settings(), utcnow())
        if not refused:
            flash(
                f"The vote on revision {position.voted_revision_number} opened at "
                f"{london_datetime(vote.opened_at)} and is open until "
                f"{london_datetime(vote.closes_at)}. The text cannot change while it is open.",
                "info",
            )
            return redirect(url_for(".position", position_id=position.id))
    return render_template("positions/vote_form.html", position=position, amendment=None, form=form)


def _ready_to_check(position: Position, form: forms.VoteRulesForm) -> bool:
    """Whether the rules were sent to be checked (not to change them), and hold."""
    return bool(
        form.validate_on_submit()
        and not request.form.get("change")
        and not _rule_errors(position, form)
    )


def _rule_errors(position: Position, form: forms.VoteRulesForm) -> bool:
    """Put on their fields, in plain words, the rules the count could never meet (a cap too
    small for the organisations that vote, say); whether there were any."""
    answers = {field.name: field.data for field in form}
    voting = workflow.voting_organisations(position, list(form.voting_kinds.data or []))
    errors = setup.plain_rule_errors(answers, voting)
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
    return bool(errors)


def _vote_check(
    position: Position, amendment: Amendment | None, form: forms.VoteRulesForm
) -> str | None:
    """The check page before a vote opens from a draft (it emails every organisation that
    votes, and cannot be undone); None once the lead has confirmed it there."""
    if request.form.get("confirmed") == "yes":
        return None
    settings = form.settings()
    try:
        rules = counting.parse_rules(settings.rules, "motion")
    except counting.RecordError:
        return None  # the service refuses it, with its reason on the form
    how_decided = explain.how_decided(
        rules,
        explain.Setting(
            kind="motion",
            voting_kinds=list(settings.voting_kinds),
            secret=settings.secrecy is BallotSecrecy.SECRET,
        ),
    )
    return render_template(
        "positions/vote_open_check.html",
        position=position,
        amendment=amendment,
        form=form,
        settings=settings,
        how_decided=how_decided,
        organisations=workflow.voting_organisations(position, settings.voting_kinds),
    )


@blueprint.post("/positions/<int:position_id>/redraft")
def return_to_drafting(position_id: int) -> Response:
    position = load_position(position_id)
    if not permissions.can_lead(current_user, position):
        abort(403)
    confirmed()
    with refusal_shown_on() as refused:
        workflow.return_to_drafting(acting_user(), position, utcnow())
    if not refused:
        flash("The position is back in drafting for another round.", "info")
    return redirect(url_for(".position", position_id=position.id))
