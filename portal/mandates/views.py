"""Mandates: the register, a mandate's page, a holder's page, and the forms that attach,
use, suspend and revoke a mandate.

The register, mandate and holder pages are read at each mandate's tier, so the public and ICS
readers use them too (a mandate you may not read is 404, as one that does not exist). Changes
need a signed-in person with the right role: 403 for one who may see but not change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.accounts.models import Membership, User
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.mandates import forms, permissions, services
from portal.mandates.models import Mandate, MandateState, Ratification
from portal.names import display_name
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.organisations.models import Area
from portal.organisations.permissions import can_view_area
from portal.positions.models import Proposal
from portal.tiers import Tier
from portal.voting.models import Vote, VoteKind, VoteState
from portal.voting.permissions import can_see_vote

blueprint = Blueprint("mandates", __name__, template_folder="templates")
# The register is one page for every reader; the header link opens it at the current area.
add_link(blueprint, "Mandates", "mandates.register", order=51, area_argument="area")
area_blueprint = Blueprint(
    "area_mandates", __name__, url_prefix="/areas/<area_slug>/mandates", template_folder="templates"
)
bind_area(area_blueprint)

STATE_TAGS = {
    MandateState.PROPOSED: "grey",
    MandateState.NOT_GRANTED: "grey",
    MandateState.IN_FORCE: "green",
    MandateState.SUSPENDED: "yellow",
    MandateState.ENDED: "grey",
    MandateState.REVOKED: "red",
    MandateState.SUPERSEDED: "orange",
}


@blueprint.app_template_global("mandate_for_vote")
def mandate_for_vote(vote: Vote) -> dict[str, Any] | None:
    """For a draft motion's page: its mandate, or the link to attach one (officers)."""
    mandate = services.proposed_for(vote)
    if mandate is not None:
        if not permissions.can_read_mandate(current_user, mandate):
            return None
        return {"text": "The mandate this motion grants", "href": _mandate_url(mandate)}
    if (
        vote.kind is VoteKind.MOTION
        and vote.state is VoteState.DRAFT
        and permissions.can_attach(current_user, vote.area)
    ):
        href = url_for("area_mandates.attach", area_slug=vote.area.slug, vote_id=vote.id)
        return {"text": "Attach a mandate", "href": href}
    return None


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {"state_tags": STATE_TAGS, "Ratification": Ratification, "MandateState": MandateState}


def _today() -> Any:
    return services.london_day(utcnow())


def _mandate_url(mandate: Mandate) -> str:
    return url_for("mandates.mandate", mandate_id=mandate.id)


def _mandate(mandate_id: int) -> Mandate:
    mandate = services.find(current_user, mandate_id)
    if mandate is None:
        abort(404)
    if can_view_area(current_user, mandate.area):
        g.area = mandate.area
    return mandate


@blueprint.get("/mandates")
def register() -> str:
    area_slug = request.args.get("area", "")[:100] or None
    areas = services.areas_with_mandates(current_user)
    chosen = db.session.scalar(sa.select(Area).where(Area.slug == area_slug)) if area_slug else None
    if chosen is not None and can_view_area(current_user, chosen):
        g.area = chosen  # the area's menu, for its members
    mandates = services.register(current_user, area_slug)
    return render_template(
        "mandates/register.html",
        mandates=mandates,
        today=_today(),
        areas=areas,
        area_slug=area_slug,
    )


@blueprint.get("/mandates/<int:mandate_id>")
def mandate(mandate_id: int) -> str:
    found = _mandate(mandate_id)
    user = current_user
    return render_template(
        "mandates/mandate.html",
        mandate=found,
        state=found.state_on(_today()),
        today=_today(),
        grant_vote_visible=can_see_vote(user, found.grant_vote),
        may_record=permissions.can_record_commitment(user, found),
        may_suspend=permissions.can_suspend(user, found),
        may_revoke=permissions.can_propose_revocation(user, found),
        visible_vote=lambda vote: can_see_vote(user, vote),
        votes={v.id: v for v in _linked_votes(found)},
    )


def _linked_votes(mandate: Mandate) -> list[Vote]:
    ids = [r.vote_id for r in mandate.revocations] + [
        c.ratification_vote_id for c in mandate.commitments if c.ratification_vote_id
    ]
    return [vote for vote_id in ids if (vote := db.session.get(Vote, vote_id)) is not None]


@blueprint.get("/mandates/holders/<int:user_id>")
def holder(user_id: int) -> str:
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    mandates = services.held_by(current_user, person)
    if not mandates:
        abort(404)
    if can_view_area(current_user, mandates[0].area):
        g.area = mandates[0].area
    today = _today()
    return render_template(
        "mandates/holder.html",
        person=person,
        in_force=services.in_force(mandates, today),
        others=[m for m in mandates if m.state_on(today) is not MandateState.IN_FORCE],
        today=today,
    )


@blueprint.route("/mandates/<int:mandate_id>/commitments/new", methods=["GET", "POST"])
@login_required
def record_commitment(mandate_id: int) -> str | Response:
    found = _mandate(mandate_id)
    if not permissions.can_record_commitment(current_user, found):
        abort(403, description="Only the mandate's holders record commitments under it.")
    form = forms.CommitmentForm()
    if form.validate_on_submit():
        details = services.CommitmentDetails(
            made_on=form.made_on.data,
            forum=form.forum.data or "",
            with_whom=form.with_whom.data or "",
            what_agreed=form.what_agreed.data or "",
            needs_ratification=bool(form.needs_ratification.data),
        )
        with refusal_shown_on(form) as refused:
            services.record_commitment(acting_user(), found, details, utcnow())
        if not refused:
            flash("Commitment recorded. Members have been told.", "success")
            return redirect(_mandate_url(found))
    return render_template("mandates/commitment_new.html", mandate=found, form=form)


# The words of the page that asks for a reason, for each step that needs one.
SUSPENDING = {
    "heading": "Suspend this mandate",
    "hint": "It stops at once. Members are emailed; the reason is shown on the register.",
    "button_text": "Suspend the mandate",
}
REVOKING = {
    "heading": "Propose revoking this mandate",
    "hint": "A draft motion goes to the electorate that granted it, under the same rules. "
    "Passing it revokes the mandate.",
    "button_text": "Draft the motion",
}


@blueprint.route("/mandates/<int:mandate_id>/suspend", methods=["GET", "POST"])
@login_required
def suspend(mandate_id: int) -> str | Response:
    found = _mandate(mandate_id)
    if not permissions.can_suspend(current_user, found):
        abort(403, description="Only an LMC officer suspends a mandate.")
    form = forms.ReasonForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.suspend(acting_user(), found, form.reason.data or "", utcnow())
        if not refused:
            flash("Mandate suspended. Members have been told.", "success")
            return redirect(_mandate_url(found))
    return render_template("mandates/reason.html", mandate=found, form=form, **SUSPENDING)


REVOCATION_DRAFTED = (
    "A draft motion to revoke the mandate has been made for the same electorate. "
    "Check it and open it for ballots."
)


@blueprint.route("/mandates/<int:mandate_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(mandate_id: int) -> str | Response:
    found = _mandate(mandate_id)
    if not permissions.can_propose_revocation(current_user, found):
        abort(403, description="Only LMC officers and area administrators propose revocation.")
    form = forms.ReasonForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            vote = services.propose_revocation(
                acting_user(), found, form.reason.data or "", utcnow()
            )
        if not refused:
            flash(REVOCATION_DRAFTED, "success")
            return redirect(url_for("voting.vote", area_slug=found.area.slug, vote_id=vote.id))
    return render_template("mandates/reason.html", mandate=found, form=form, **REVOKING)


def _holder_choices(form: forms.AttachForm) -> dict[str, Membership]:
    memberships = {str(m.id): m for m in services.holder_choices(g.area)}
    form.holders.choices = [
        SelectChoice(key, f"{m.user.name}, {m.role.label}, {display_name(m.organisation.name)}")
        for key, m in memberships.items()
    ]
    return memberships


def _proposal_choices(form: forms.AttachForm) -> dict[str, Proposal]:
    proposals = {
        str(p.id): p
        for p in db.session.scalars(
            sa.select(Proposal).where(Proposal.area_id == g.area.id).order_by(Proposal.title)
        )
    }
    form.proposal.choices = [SelectChoice("", "None: a topic")] + [
        SelectChoice(key, p.title) for key, p in proposals.items()
    ]
    return proposals


def _vote(vote_id: int) -> Vote:
    """The vote in this area, if the user may see it (else 404)."""
    vote = db.session.get(Vote, vote_id)
    if vote is None or vote.area_id != g.area.id or not can_see_vote(current_user, vote):
        abort(404)
    return vote


def _terms(
    form: forms.AttachForm, memberships: dict[str, Membership], proposals: dict[str, Proposal]
) -> services.Terms:
    """The mandate as the form gives it, its holders among the memberships offered."""
    return services.Terms(
        title=form.title.data or "",
        proposal=proposals.get(form.proposal.data or ""),
        may_agree=form.may_agree.data or "",
        may_not_agree=form.may_not_agree.data or "",
        come_back_when=form.come_back_when.data or "",
        ends_on=form.ends_on.data,
        tier=Tier(form.tier.data),
        holders=[memberships[key] for key in form.holders.data or [] if key in memberships],
    )


@area_blueprint.route("/attach/<int:vote_id>", methods=["GET", "POST"])
def attach(vote_id: int) -> str | Response:
    vote = _vote(vote_id)
    if not permissions.can_attach(current_user, g.area):
        abort(403, description="Only LMC officers and area administrators attach mandates.")
    form = forms.AttachForm()
    memberships = _holder_choices(form)
    proposals = _proposal_choices(form)
    if form.validate_on_submit():
        terms = _terms(form, memberships, proposals)
        with refusal_shown_on(form) as refused:
            created = services.attach(acting_user(), vote, terms)
        if not refused:
            flash("Mandate attached. It comes into force only if the motion passes.", "success")
            return redirect(_mandate_url(created))
    return render_template("mandates/attach.html", vote=vote, form=form)
