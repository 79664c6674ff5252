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
from portal.voting import explain, scrutiny, services, setup, setup_check
from portal.voting import rules as counting
from portal.voting.forms import KIND_LABELS, new_vote_data
from portal.voting.permissions import can_manage_votes, can_see_votes
from portal.voting.presenters import proposal_choices

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
    state = _state()
    if state is None:
        return redirect(url_for(".start"))
    answers, done = dict(state["answers"]), list(state["done"])
    choices, proposals = _pcn_choices(), proposal_choices(g.area)
    if request.method == "GET":
        return _render(page, setup.filled_form(answers, choices, proposals), state)
    if not StepForm().validate_on_submit():
        abort(400)
    merged = {**answers, **setup.answers_from(request.form, page)}
    errors = setup.page_errors(merged, page, _voting_organisations(merged), choices, proposals)
    if page.slug == "secrecy" and "scrutineers" not in errors:
        errors.update(_scrutineer_errors(merged))
    form = setup.filled_form(merged, choices, proposals)
    for field in form:
        field.errors = list(errors.get(field.name, []))
    if errors:
        return _render(page, form, state)
    if page.slug == "when":
        form.validate()
        warnings = setup.timing_warnings(form.opens_at, form.closes_at, utcnow())
        for field in form:
            field.errors = []
        # Warned times are kept only when the same times are sent again from the warning.
        times = "|".join(moment.isoformat() for moment in (form.opens_at, form.closes_at) if moment)
        if warnings and request.form.get("accept_warnings") != times:
            return _render(page, form, state, warnings=warnings, accept_warnings=times)
    if page.slug not in done:
        done.append(page.slug)
    _save(merged, done)
    following = setup.next_page(page.slug)
    if following is None or request.args.get("return") == "check":
        return redirect(url_for(".check"))
    return redirect(url_for(".step", slug=following))


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
    state = _state()
    if state is None:
        return redirect(url_for(".start"))
    answers, done = state["answers"], state["done"]
    missing = next((p for p in setup.PAGES if p.slug not in done), None)
    if missing is not None:
        return redirect(url_for(".step", slug=missing.slug))
    form = setup.filled_form(answers, _pcn_choices(), proposal_choices(g.area))
    if not form.validate():
        # An answer that no longer holds (say, a network has closed): back to its page.
        bad = next(p for p in setup.PAGES if any(form[n].errors for n in p.fields if n in form))
        return redirect(url_for(".step", slug=bad.slug))
    details = form.details()
    problem = None
    try:
        rules = counting.parse_rules(details.rules, details.kind.value)
    except counting.RecordError as error:
        rules, problem = None, f"The rules do not fit together: {error}"
    # Whose ballot the record or the figures would likely expose under these rules, if anyone's.
    exposure = setup_check.for_details(g.area, details)
    identifying = exposure is not None
    acknowledgement_missing = False
    check_form = CheckForm()
    if request.method == "POST" and check_form.validate_on_submit() and problem is None:
        if identifying and request.form.get("keep_weights") != "yes":
            acknowledgement_missing = True
        else:
            with refusal_shown_on(check_form) as refused:
                named = scrutiny.find_scrutineers(g.area, form.scrutineers.data or "")
                details = dataclasses.replace(details, scrutineers=named)
                vote = services.create_vote(acting_user(), g.area, details)
            if not refused:
                session.pop(_key(), None)
                flash(
                    f"The vote was saved as a draft at {london_datetime(vote.created_at)}. "
                    "Check it, then open it when it is ready.",
                    "info",
                )
                return redirect(url_for("voting.vote", vote_id=vote.id))
    how_decided = (
        explain.how_decided(
            rules,
            explain.Setting(
                kind=details.kind.value,
                voting_kinds=list(details.voting_kinds),
                secret=details.secrecy.value == "secret",
                pcn_codes=details.pcn_codes,
            ),
        )
        if rules is not None
        else []
    )
    return render_template(
        "voting/setup/check.html",
        form=form,
        check_form=check_form,
        details=details,
        how_decided=how_decided,
        problem=problem,
        warnings=setup.timing_warnings(details.opens_at, details.closes_at, utcnow()),
        identifying=identifying,
        exposure=exposure,
        acknowledgement_missing=acknowledgement_missing,
        pages=setup.PAGES,
        proposal_words=next(
            (c.label for c in form.proposal.choices if c.value == (form.proposal.data or "")),
            "No ICS proposal",
        ),
        who_words=", ".join(KIND_LABELS[kind] for kind in details.voting_kinds)
        + (f" (practices in {', '.join(details.pcn_codes)} only)" if details.pcn_codes else ""),
    )
