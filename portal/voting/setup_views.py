"""Setting up a vote as GOV.UK question pages, then "check your answers" (portal/voting/setup).

Views are thin: only officers of the area set up votes (404 for anyone who may not see the
area's votes, 403 for a member who may see but not run them); each page checks its own
answers and keeps them in the session; the check page calls one service, which saves the vote
as a draft. Opening it is a separate step with its own check page.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.names import display_name
from portal.organisations.area_context import bind_area
from portal.organisations.models import Organisation, OrganisationKind
from portal.times import london_datetime
from portal.voting import scrutiny, services, setup, setup_presenters
from portal.voting.models import Vote
from portal.voting.permissions import can_manage_votes, can_see_votes
from portal.voting.presenters import proposal_choices
from portal.voting.services import VoteDetails
from portal.voting.setup_forms import KIND_LABELS, VoteForm, new_vote_data

blueprint = Blueprint(
    "vote_setup",
    __name__,
    url_prefix="/areas/<area_slug>/votes/set-up",
    template_folder="templates",
)
bind_area(blueprint)


class StepForm(FlaskForm):
    """Only the CSRF token: the answers are read from the request by ``setup.answers_from``."""


@blueprint.before_request
def _require_officer() -> None:
    if not can_see_votes(current_user, g.area):
        abort(404)
    if not can_manage_votes(current_user, g.area):
        abort(403)


def _key() -> str:
    return f"vote-setup-{g.area.id}"


def _state() -> dict[str, Any] | None:
    return session.get(_key())


def _save(answers: dict[str, Any], done: list[str]) -> None:
    session[_key()] = {"answers": answers, "done": done}


def _pcn_choices() -> list[SelectChoice]:
    pcns = db.session.execute(
        sa.select(Organisation)
        .where(
            Organisation.area_id == g.area.id,
            Organisation.kind == OrganisationKind.PCN,
            Organisation.closed_on.is_(None),
        )
        .order_by(Organisation.name)
    ).scalars()
    return [
        SelectChoice(pcn.ods_code, f"{display_name(pcn.name)} ({pcn.ods_code})") for pcn in pcns
    ]


def _voting_organisations(answers: dict[str, Any]) -> int:
    """How many organisations of the chosen kinds the area has now (the cap's lower bound)."""
    kinds = [
        OrganisationKind(kind) for kind in answers.get("voting_kinds") or [] if kind in KIND_LABELS
    ]
    if not kinds:
        return 0
    query = (
        sa.select(sa.func.count())
        .select_from(Organisation)
        .where(
            Organisation.area_id == g.area.id,
            Organisation.kind.in_(kinds),
            Organisation.closed_on.is_(None),
        )
    )
    return int(db.session.scalar(query) or 0)


@blueprint.get("/")
@login_required
def start() -> Response:
    """A fresh set of answers with the defaults every route into a vote uses."""
    _save(new_vote_data(utcnow()), [])
    return redirect(url_for(".step", slug=setup.PAGES[0].slug))


def _render(page: setup.Page, form: Any, state: dict[str, Any], **extra: Any) -> str:
    index = [p.slug for p in setup.PAGES].index(page.slug)
    return render_template(
        "voting/setup/page.html",
        page=page,
        form=form,
        step_form=StepForm(formdata=None),
        number=index + 1,
        total=len(setup.PAGES),
        previous=setup.PAGES[index - 1].slug if index else None,
        returning=request.args.get("return") == "check",
        **extra,
    )


@blueprint.route("/<slug>", methods=["GET", "POST"])
@login_required
def step(slug: str) -> str | Response:
    page = setup.PAGE_BY_SLUG.get(slug)
    if page is None:
        abort(404)
    state = _started()
    choices, proposals = _pcn_choices(), proposal_choices(g.area)
    if request.method == "GET":
        return _render(page, setup.filled_form(state["answers"], choices, proposals), state)
    if not StepForm().validate_on_submit():
        abort(400)
    answers = {**state["answers"], **setup.answers_from(request.form, page)}
    form, refused = _checked_page(page, answers, choices, proposals)
    warned = {} if refused else _unaccepted_warnings(page, form)
    if refused or warned:
        return _render(page, form, state, **warned)
    _save(answers, state["done"] if page.slug in state["done"] else [*state["done"], page.slug])
    following = setup.next_page(page.slug)
    if following is None or request.args.get("return") == "check":
        return redirect(url_for(".check"))
    return redirect(url_for(".step", slug=following))


def _started() -> dict[str, Any]:
    """The answers so far; without them (the session ended, say), back to the first page."""
    state = _state()
    if state is None:
        abort(redirect(url_for(".start")))
    return state


def _checked_page(
    page: setup.Page,
    answers: dict[str, Any],
    choices: list[SelectChoice],
    proposals: list[SelectChoice],
) -> tuple[VoteForm, bool]:
    """The page's form filled with the answers and each field's errors; whether there were any."""
    errors = setup.page_errors(answers, page, _voting_organisations(answers), choices, proposals)
    if page.slug == "secrecy" and "scrutineers" not in errors:
        errors.update(_scrutineer_errors(answers))
    form = setup.filled_form(answers, choices, proposals)
    for field in form:
        field.errors = list(errors.get(field.name, []))
    return form, bool(errors)


def _unaccepted_warnings(page: setup.Page, form: VoteForm) -> dict[str, Any]:
    """On the "when" page, the warnings about the times chosen, for the page to show again;
    none once the same times are sent again from that warning, which keeps them."""
    if page.slug != "when":
        return {}
    form.validate()
    warnings = setup.timing_warnings(form.opens_at, form.closes_at, utcnow())
    for field in form:
        field.errors = []
    times = "|".join(moment.isoformat() for moment in (form.opens_at, form.closes_at) if moment)
    if warnings and request.form.get("accept_warnings") != times:
        return {"warnings": warnings, "accept_warnings": times}
    return {}


class CheckForm(FlaskForm):
    """The CSRF token, and the acknowledgement a secret ballot with identifying weights needs."""


def _scrutineer_errors(answers: dict[str, Any]) -> dict[str, list[str]]:
    """The scrutineers named, refused on their own page rather than at the end."""
    named = (answers.get("scrutineers") or "").strip()
    if not named:
        return {}
    if answers.get("secrecy") != "secret":
        return {"scrutineers": ["Only a secret ballot has scrutineers: leave this empty"]}
    try:
        scrutiny.find_scrutineers(g.area, named)
    except DomainError as error:
        return {"scrutineers": [str(error)]}
    return {}


@blueprint.route("/check", methods=["GET", "POST"])
@login_required
def check() -> str | Response:
    state = _started()
    form = _complete_answers(state)
    shown = setup_presenters.check_page(g.area, form, utcnow())
    check_form = CheckForm()
    acknowledgement_missing = False
    if request.method == "POST" and check_form.validate_on_submit() and shown["problem"] is None:
        acknowledgement_missing = shown["identifying"] and request.form.get("keep_weights") != "yes"
        vote = None if acknowledgement_missing else _save_draft(check_form, form, shown["details"])
        if vote is not None:
            session.pop(_key(), None)
            flash(SAVED_AS_DRAFT.format(at=london_datetime(vote.created_at)), "info")
            return redirect(url_for("voting.vote", vote_id=vote.id))
    return render_template(
        "voting/setup/check.html",
        form=form,
        check_form=check_form,
        acknowledgement_missing=acknowledgement_missing,
        **shown,
    )


SAVED_AS_DRAFT = "The vote was saved as a draft at {at}. Check it, then open it when it is ready."


def _complete_answers(state: dict[str, Any]) -> VoteForm:
    """The form filled with every page's answers; back to the first page not yet answered, or
    to the page of an answer that no longer holds (say, a network has closed)."""
    missing = next((p for p in setup.PAGES if p.slug not in state["done"]), None)
    if missing is not None:
        abort(redirect(url_for(".step", slug=missing.slug)))
    form = setup.filled_form(state["answers"], _pcn_choices(), proposal_choices(g.area))
    if not form.validate():
        bad = next(p for p in setup.PAGES if any(form[n].errors for n in p.fields if n in form))
        abort(redirect(url_for(".step", slug=bad.slug)))
    return form


def _save_draft(check_form: FlaskForm, form: VoteForm, details: VoteDetails) -> Vote | None:
    """The vote saved as a draft with its scrutineers; None when a service refused it (its
    reason is then on ``check_form``)."""
    with refusal_shown_on(check_form) as refused:
        named = scrutiny.find_scrutineers(g.area, form.scrutineers.data or "")
        vote = services.create_vote(
            acting_user(), g.area, dataclasses.replace(details, scrutineers=named)
        )
    return None if refused else vote
