"""The trust pulse: rounds, answering, results with their "you said, we did", and the trend.

Deny by default: every page needs a member of the leadership group (404 otherwise); running
rounds needs an officer (403 for a member who may see the page but not do this).
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.trust import forms, permissions, services
from portal.trust.models import RoundState, TrustRound, TrustTarget

blueprint = Blueprint(
    "trust", __name__, url_prefix="/areas/<area_slug>/trust", template_folder="templates"
)
bind_area(blueprint)
add_link(blueprint, "Trust", "trust.index", order=70, visible=permissions.can_see_trust)


@blueprint.before_request
def _require_group_member() -> None:
    if not permissions.can_see_trust(current_user, g.area):
        abort(404)


def _round(round_id: int) -> TrustRound:
    trust_round = db.session.get(TrustRound, round_id)
    if trust_round is None or trust_round.area_id != g.area.id:
        abort(404)
    return trust_round


def _require_officer() -> None:
    if not permissions.can_run_rounds(current_user, g.area):
        abort(403)


@blueprint.get("/")
def index() -> str:
    rounds = services.rounds_in(g.area)
    open_round = services.current_round(g.area)
    return render_template(
        "trust/index.html",
        rounds=list(reversed(rounds)),
        open_round=open_round,
        answered=open_round is not None and services.has_answered(acting_user(), open_round),
        is_officer=permissions.can_run_rounds(current_user, g.area),
        open_form=forms.OpenRoundForm(),
    )


@blueprint.post("/rounds")
def open_round() -> str | tuple[str, int] | Response:
    _require_officer()
    form = forms.OpenRoundForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            trust_round = services.open_round(acting_user(), g.area, form.title.data)
        if not refused:
            return redirect(url_for("trust.round_page", round_id=trust_round.id))
    return render_template("trust/open.html", form=form), 400


def _round_page(
    trust_round: TrustRound,
    answer_form: forms.AnswerForm | None = None,
    publish_form: forms.PublishForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    is_officer = permissions.can_run_rounds(current_user, g.area)
    closed = trust_round.state is RoundState.CLOSED
    page = render_template(
        "trust/round.html",
        trust_round=trust_round,
        closed=closed,
        answered=services.has_answered(acting_user(), trust_round),
        may_answer=permissions.can_answer(current_user, g.area),
        is_officer=is_officer,
        responses=services.response_count(trust_round) if is_officer or closed else None,
        eligible=len(services.eligible_people(g.area)) if is_officer and not closed else None,
        results=services.results(trust_round) if closed else None,
        comments=services.comments(trust_round),
        answer_form=answer_form or forms.AnswerForm(),
        publish_form=publish_form or forms.PublishForm(),
        close_form=forms.CloseRoundForm(),
        targets=list(TrustTarget),
        target_field_name=forms.target_field_name,
    )
    return page, status


@blueprint.get("/rounds/<int:round_id>")
def round_page(round_id: int) -> tuple[str, int]:
    return _round_page(_round(round_id))


@blueprint.post("/rounds/<int:round_id>/answer")
def answer(round_id: int) -> tuple[str, int] | Response:
    trust_round = _round(round_id)
    form = forms.AnswerForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.answer(acting_user(), trust_round, form.scores(), form.comment.data or "")
        if not refused:
            return redirect(url_for("trust.thanks", round_id=trust_round.id))
    return _round_page(trust_round, answer_form=form, status=400)


@blueprint.get("/rounds/<int:round_id>/thanks")
def thanks(round_id: int) -> str:
    return render_template("trust/thanks.html", trust_round=_round(round_id))


@blueprint.post("/rounds/<int:round_id>/close")
def close(round_id: int) -> tuple[str, int] | Response:
    _require_officer()
    trust_round = _round(round_id)
    form = forms.CloseRoundForm()
    if form.validate_on_submit():
        # A refusal (closed a moment ago by another officer) is shown on the round's page.
        with refusal_shown_on():
            services.close_round(acting_user(), trust_round)
        return redirect(url_for("trust.round_page", round_id=trust_round.id))
    return _round_page(trust_round, status=400)


@blueprint.post("/rounds/<int:round_id>/publish")
def publish(round_id: int) -> tuple[str, int] | Response:
    _require_officer()
    trust_round = _round(round_id)
    form = forms.PublishForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.publish_response(
                acting_user(), trust_round, form.you_said.data or "", form.we_did.data or ""
            )
        if not refused:
            return redirect(url_for("trust.round_page", round_id=trust_round.id))
    return _round_page(trust_round, publish_form=form, status=400)


@blueprint.get("/trend")
def trend() -> str:
    return render_template("trust/trend.html", trend=services.trend(g.area))
