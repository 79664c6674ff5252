"""Statements: the index with search, a statement's page and PDF, the Atom feed, and the
officer's steps (publish, supersede, withdraw) and the ICS's response.

Views are thin: find the statement among those the reader may read (404 otherwise, whoever
asks), authorise the step (403 for what the reader may see but not do), validate the form and
call one service. Statements have no area in their address: a statement's page shows its area
in the header only to members of that area.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from portal.accounts.models import Role
from portal.database import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.navigation import add_link
from portal.organisations.models import Organisation
from portal.organisations.permissions import (
    OFFICER_ROLES,
    can_view_area,
    is_group_member,
    roles_in_area,
)
from portal.page_parts import add_part
from portal.positions.models import Position
from portal.statements import caching, election_results, endorsements, pdf, queries, services
from portal.statements import feed as atom
from portal.statements.forms import (
    SIGNATORY_CHOICES,
    SIGNATORY_WORDS,
    STATE_LABELS,
    EndorseForm,
    FilterError,
    PublishForm,
    ResponseForm,
    SupersedeForm,
    WithdrawForm,
    day_month_year,
    filter_args,
    filters_from_args,
)
from portal.statements.models import SignatoryChoice, Statement, StatementState
from portal.statements.permissions import (
    can_end,
    can_publish,
    can_read_statement,
    can_respond,
)
from portal.tiers import Tier
from portal.times import london_datetime
from portal.voting.models import BallotSecrecy, ElectorateMember, Vote
from portal.voting.permissions import can_see_results, casts_for
from portal.voting.published import how_decided_for, result_wording

blueprint = Blueprint("statements", __name__, template_folder="templates")
add_link(blueprint, "Statements", "statements.index", order=50, in_area=False)
blueprint.record_once(lambda state: caching.init_app(state.app))
add_part(
    blueprint,
    "position",
    lambda user, position: {
        "statement": queries.readable_statement_of_position(position.id, user),
        "can_publish": can_publish(user, position.area),
    },
)

PER_PAGE = 20
STATE_TAGS = {
    StatementState.PUBLISHED: ("In force", "green"),
    StatementState.SUPERSEDED: ("Superseded", "orange"),
    StatementState.WITHDRAWN: ("Withdrawn", "red"),
}
KIND_HEADINGS = {
    "lmc": "Local medical committee",
    "federation": "GP federation",
    "pcn": "Primary care networks",
    "practice": "GP practices",
}


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "replaced_note": services.REPLACED,
        "state_tags": STATE_TAGS,
        "state_labels": STATE_LABELS,
        "day_month_year": day_month_year,
        "signatory_words": SIGNATORY_WORDS,
    }


def _show_area(area: Any) -> None:
    """Members of the statement's area see it in the header; nobody else is told about it."""
    if can_view_area(current_user, area):
        g.area = area


def _statement(reference: str) -> Statement:
    statement = services.find(reference, current_user)
    if statement is None:
        abort(404)
    _show_area(statement.area)
    return statement


def _page_number() -> int:
    text = request.args.get("page", "1")
    return int(text) if text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


def _may_publish_somewhere() -> bool:
    if not current_user.is_authenticated:
        return False
    return any(membership.role in OFFICER_ROLES for membership in current_user.memberships)


def _feed_url(area_slug: str | None) -> str:
    """The Atom feed of the statements listed, by area only (a feed reader's view)."""
    args: dict[str, Any] = filter_args(services.Filters(area_slug=area_slug))
    return url_for("statements.feed", **args)


def _pagination(result: services.Page, args: dict[str, Any]) -> dict[str, Any] | None:
    if result.pages <= 1:
        return None

    def link(number: int) -> str:
        return url_for("statements.index", **args, page=number)

    items = [
        {"number": number, "href": link(number), "current": number == result.page}
        for number in range(1, result.pages + 1)
        if abs(number - result.page) <= 2 or number in (1, result.pages)
    ]
    with_gaps: list[dict[str, Any]] = []
    for item in items:
        if with_gaps and item["number"] - with_gaps[-1]["number"] > 1:
            with_gaps.append({"ellipsis": True, "number": 0})
        with_gaps.append(item)
    return {
        "items": with_gaps,
        "previous": {"href": link(result.page - 1)} if result.has_previous else None,
        "next": {"href": link(result.page + 1)} if result.has_next else None,
    }


@blueprint.get("/statements")
@caching.cached("index", personal_html=True)
def index() -> str:
    filters, problem = _filters_asked()
    result = services.paginate(services.search(current_user, filters), _page_number(), PER_PAGE)
    args = filter_args(filters)
    return render_template(
        "statements/index.html",
        result=result,
        filters=filters,
        problem=problem,
        proposals=services.answered_proposals(current_user),
        areas=services.areas_with_statements(current_user),
        states=list(StatementState),
        pagination=_pagination(result, args),
        feed_url=_feed_url(filters.area_slug),
        may_publish=_may_publish_somewhere(),
        api_url=_api_url(),
    )


def _filters_asked() -> tuple[services.Filters, dict[str, str] | None]:
    """The filters in the address; none, with the problem to show, when one does not hold."""
    try:
        return filters_from_args(request.args, lenient=True), None
    except FilterError as error:
        return services.Filters(), {"text": str(error), "href": f"#{error.field}"}


def _api_url() -> str | None:
    """The API's description, when the API is registered alongside these pages."""
    try:
        return url_for("statements_api.openapi")
    except BuildError:
        return None


def _grouped(signatories: Sequence[Any]) -> list[tuple[str, list[Any]]]:
    """Signatories (or, before publishing, the electorate members who would sign) by kind."""
    groups: dict[str, list[Any]] = {}
    for signatory in signatories:
        groups.setdefault(signatory.kind, []).append(signatory)
    return [(KIND_HEADINGS[kind], groups[kind]) for kind in KIND_HEADINGS if kind in groups]


def _readable(statements: Sequence[Statement]) -> list[Statement]:
    return [s for s in statements if can_read_statement(current_user, s)]


def _letter_context(statement: Statement) -> dict[str, Any]:
    successor = statement.superseded_by
    replaced = db.session.execute(
        sa.select(Statement)
        .where(Statement.superseded_by_id == statement.id)
        .order_by(Statement.published_at)
    ).scalars()
    vote = statement.vote
    return {
        "statement": statement,
        "election_result": election_results.result_of(statement),
        "election_url": _election_url(statement),
        "successor": (
            successor if successor and can_read_statement(current_user, successor) else None
        ),
        "replaced": _readable(list(replaced)),
        "signatory_groups": _grouped(statement.signatories),
        "results_url": (
            url_for("voting.results", area_slug=statement.area.slug, vote_id=vote.id)
            if vote is not None and can_see_results(current_user, vote)
            else None
        ),
        "vote": vote,
        "how_decided": how_decided_for(vote) if vote is not None else [],
        "tier_label": statement.tier.label,
    }


def _election_url(statement: Statement) -> str | None:
    """The election's own results page, for the group members who may see it (elections are
    the group's business: portal.elections.permissions)."""
    if statement.election_id is None or not is_group_member(current_user, statement.area):
        return None
    return url_for(
        "elections.results", area_slug=statement.area.slug, election_id=statement.election_id
    )


@blueprint.get("/statements/<reference>")
@caching.cached("page", personal_html=True)
def statement(reference: str) -> str:
    found = _statement(reference)
    may_sign_for = endorsements.signable_for(current_user, found)
    return render_template(
        "statements/statement.html",
        **_letter_context(found),
        may_sign_for=may_sign_for,
        # A form starts a session for its CSRF token: only for someone who can sign, so a
        # visitor's page writes nothing of theirs and can be shared (portal/statements/caching).
        sign_form=EndorseForm() if may_sign_for else None,
        may_end=can_end(current_user, found) and found.state is StatementState.PUBLISHED,
        may_respond=can_respond(current_user, found)
        and found.state is not StatementState.WITHDRAWN,
    )


@blueprint.get("/statements/<reference>.pdf")
def statement_pdf(reference: str) -> Response:
    found = _statement(reference)
    permanent_url = url_for("statements.statement", reference=found.reference, _external=True)
    document = pdf.render_statement({**_letter_context(found), "permanent_url": permanent_url})
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{found.reference}.pdf"'},
    )


@blueprint.get("/statements.atom")
@caching.cached("atom", personal_html=False)
def feed() -> Response:
    try:
        filters = filters_from_args(request.args)
    except FilterError as error:
        abort(400, description=str(error))
    query = services.search(current_user, filters).options(
        selectinload(Statement.area), selectinload(Statement.responses)
    )
    statements = list(db.session.execute(query.limit(atom.MAX_ENTRIES)).scalars())
    return Response(
        atom.build_feed(statements, self_url=request.url, area_slug=filters.area_slug),
        mimetype="application/atom+xml",
        headers={"Vary": "Cookie"},
    )


# ----------------------------------------------------------------------------------------------
# Publishing (LMC officers and area administrators)
# ----------------------------------------------------------------------------------------------


@blueprint.get("/statements/publish")
@login_required
def publish_list() -> str:
    if not _may_publish_somewhere():
        abort(404)
    return render_template(
        "statements/publish_list.html", positions=services.publishable_positions(acting_user())
    )


def _position(position_id: int) -> Position:
    position = db.session.get(Position, position_id)
    if position is None or not can_publish(current_user, position.area):
        abort(404)
    g.area = position.area
    return position


@blueprint.route("/statements/publish/<int:position_id>", methods=["GET", "POST"])
@login_required
def publish(position_id: int) -> str | Response:
    """Choose the readers and signatories, then check the statement exactly as readers will
    see it; only the check page's button publishes."""
    position = _position(position_id)
    try:
        vote = services.check_publishable(position)
    except DomainError as error:
        return _render_unpublishable(position, error.message)
    supporters = services.supporters(vote)
    form = _publish_form(position, vote, supporters)
    if form.validate_on_submit():
        choice = SignatoryChoice(form.signatories.data)
        chosen = form.chosen.data or [] if choice is SignatoryChoice.CHOSEN else []
        seen = _preview(form, position, choice, chosen)
        if seen is not None and form.confirmed.data != "yes":
            return _render_publish_check(position, form, seen, choice, chosen)
        if seen is not None and (published := _publish(form, position, choice, chosen)) is not None:
            when = london_datetime(published.published_at)
            flash(f"Statement {published.reference} was published at {when}.", "success")
            return redirect(url_for("statements.statement", reference=published.reference))
    elif form.chosen.errors:
        form.chosen.errors = ["Choose organisations from the list of those that voted for it"]
    return _render_publish(position, vote, form, supporters)


def _publish_form(
    position: Position, vote: Vote, supporters: Sequence[ElectorateMember]
) -> PublishForm:
    """The choice of readers and signatories: in a secret ballot only the endorsers can sign,
    since nobody knows who voted for."""
    secret = vote.secrecy is BallotSecrecy.SECRET
    form = PublishForm()
    form.chosen.choices = [(m.organisation_id, f"{m.name} ({m.ods_code})") for m in supporters]
    if secret:
        form.signatories.choices = [
            c for c in SIGNATORY_CHOICES if c.value == SignatoryChoice.ENDORSERS.value
        ]
    if request.method == "GET":
        form.tier.data = position.tier.value
        form.signatories.data = (
            SignatoryChoice.ENDORSERS.value if secret else SignatoryChoice.VOTED_FOR.value
        )
    return form


def _preview(
    form: PublishForm, position: Position, choice: SignatoryChoice, chosen: list[int]
) -> services.Preview | None:
    """What publishing would write; None when it would refuse (the reason is on ``form``)."""
    seen = None
    with refusal_shown_on(form):
        seen = services.preview(position, choice, chosen)
    return seen


def _publish(
    form: PublishForm, position: Position, choice: SignatoryChoice, chosen: list[int]
) -> Statement | None:
    """The statement published; None when refused (the reason is on ``form``)."""
    published = None
    with refusal_shown_on(form):
        published = services.publish(
            acting_user(), position, Tier(form.tier.data), choice, utcnow(), chosen
        )
    return published


def _render_publish_check(
    position: Position,
    form: PublishForm,
    seen: services.Preview,
    choice: SignatoryChoice,
    chosen: list[int],
) -> str:
    return render_template(
        "statements/publish_check.html",
        position=position,
        form=form,
        preview=seen,
        tier=Tier(form.tier.data),
        choice=choice,
        chosen=chosen,
        signatory_groups=_grouped(seen.signatories),
    )


def _render_unpublishable(position: Position, problem: str) -> str:
    return render_template("statements/publish.html", position=position, form=None, problem=problem)


def _render_publish(
    position: Position, vote: Vote, form: PublishForm, supporters: Sequence[ElectorateMember]
) -> str:
    return render_template(
        "statements/publish.html",
        position=position,
        form=form,
        problem=None,
        revision=position.voted_revision,
        vote=vote,
        secret=vote.secrecy is BallotSecrecy.SECRET,
        provenance=result_wording(vote),
        supporters=len(supporters),
        secret_message=services.ENDORSERS_ONLY,
    )


@blueprint.post("/statements/<reference>/sign")
@login_required
def sign(reference: str) -> Response:
    """A partner (or whoever casts the organisation's ballot) signs for their organisation."""
    found = _statement(reference)
    form = EndorseForm()
    page = url_for("statements.statement", reference=found.reference)
    text = form.organisation.data or ""
    organisation = db.session.get(Organisation, int(text)) if text.isdigit() else None
    if not form.validate_on_submit() or organisation is None:
        flash("Choose the organisation you sign for.", "error")
        return redirect(f"{page}#signatories")
    if not casts_for(current_user, organisation):
        abort(403)
    with refusal_shown_on() as refused:
        endorsements.endorse(acting_user(), found, organisation, utcnow())
    if not refused:
        flash(f"{organisation.name} now signs {found.reference}.", "success")
    return redirect(f"{page}#signatories")


# ----------------------------------------------------------------------------------------------
# Superseding, withdrawing and the ICS's response
# ----------------------------------------------------------------------------------------------


def _ending(reference: str) -> Statement:
    found = _statement(reference)
    if not can_end(current_user, found):
        abort(403)
    return found


@blueprint.route("/statements/<reference>/supersede", methods=["GET", "POST"])
@login_required
def supersede(reference: str) -> str | Response:
    found = _ending(reference)
    candidates = _readable(services.successor_candidates(found))
    candidates = [c for c in candidates if services.is_later(c, found)]
    form = SupersedeForm()
    form.successor.choices = [("", "Choose a statement")] + [
        (c.reference, f"{c.reference}: {c.title}") for c in candidates
    ]
    if found.state is StatementState.PUBLISHED and form.validate_on_submit():
        successor = next((c for c in candidates if c.reference == form.successor.data), None)
        if successor is None:
            form.successor.errors = ["Choose the statement that replaces it"]
        else:
            with refusal_shown_on(form) as refused:
                services.supersede(acting_user(), found, successor, form.note.data or "", utcnow())
            if not refused:
                flash(f"{found.reference} is marked as replaced by {successor.reference}.")
                return redirect(url_for("statements.statement", reference=found.reference))
    return render_template(
        "statements/supersede.html", statement=found, form=form, candidates=candidates
    )


@blueprint.route("/statements/<reference>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(reference: str) -> str | Response:
    found = _ending(reference)
    form = WithdrawForm()
    if found.state is StatementState.PUBLISHED and form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.withdraw(acting_user(), found, form.reason.data or "", utcnow())
        if not refused:
            flash(f"{found.reference} is withdrawn. It can still be read, with your reason.")
            return redirect(url_for("statements.statement", reference=found.reference))
    return render_template("statements/withdraw.html", statement=found, form=form)


@blueprint.route("/statements/<reference>/respond", methods=["GET", "POST"])
@login_required
def respond(reference: str) -> str | Response:
    found = _statement(reference)
    if not can_respond(current_user, found):
        abort(403)
    form = ResponseForm()
    if found.state is not StatementState.WITHDRAWN and form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.record_response(acting_user(), found, form.body.data or "", utcnow())
        if not refused:
            flash("The ICS's response is recorded and shown beside the statement.", "success")
            page = url_for("statements.statement", reference=found.reference)
            return redirect(f"{page}#responses")
    on_behalf = Role.ICS_READER not in roles_in_area(current_user, found.area)
    return render_template(
        "statements/respond.html", statement=found, form=form, on_behalf=on_behalf
    )
