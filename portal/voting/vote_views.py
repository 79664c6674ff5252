"""A vote's page and what members do on it: the list of votes, the register of interests,
naming or revoking a proxy, declaring a conflict.

Nobody sees how a vote is going before it closes: the page says whether an organisation has
voted, never what it chose, and officers see only how many have voted. A form refused by its
service is shown again on the vote's page, with its message."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.accounts.forms import ConfirmForm
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.names import display_name
from portal.organisations.models import Organisation, OrganisationKind
from portal.voting import conflicts
from portal.voting import proxies as voting_proxies
from portal.voting.blueprint import blueprint, load_vote
from portal.voting.forms import (
    CancelVoteForm,
    ConflictForm,
    InterestForm,
    ProxyForm,
    RulingForm,
    choice_list,
)
from portal.voting.models import (
    Ballot,
    ConflictDeclaration,
    ConflictRuling,
    InterestCategory,
    Proxy,
    Vote,
    VoteState,
)
from portal.voting.permissions import can_cancel_vote, can_manage_votes, can_see_results, casts_for
from portal.voting.presenters import (
    accepting_changes,
    active_proxy,
    being_counted,
    casting_cards,
    conflict_declarations,
    conflict_organisations,
    interest_register,
    member_shares,
    option_label,
    own_organisations,
    proxy_practices,
    vote_list,
)
from portal.voting.published import how_decided_for

CONFLICT_DECLARED = "The conflict of {name} has been declared. An officer will rule on it."


@blueprint.get("/")
@login_required
def index() -> str:
    return render_template("voting/index.html", **vote_list(acting_user(), g.area, utcnow()))


@blueprint.route("/interests", methods=["GET", "POST"])
@login_required
def interests() -> str | Response:
    own = own_organisations()
    form = InterestForm()
    form.organisation.choices = choice_list((str(org.id), display_name(org.name)) for org in own)
    if form.validate_on_submit():
        organisation = next(org for org in own if str(org.id) == form.organisation.data)
        with refusal_shown_on(form) as refused:
            conflicts.declare_interest(
                acting_user(),
                organisation,
                InterestCategory(form.category.data),
                form.description.data,
            )
        if not refused:
            flash(f"The interest of {organisation.name} has been added to the register.", "info")
            return redirect(url_for(".interests"))
    return render_template("voting/interests.html", form=form, register=interest_register(own))


def _proxy_form(vote: Vote, grantor: Organisation, formdata: bool = False) -> ProxyForm:
    form = ProxyForm(
        prefix=f"proxy-{grantor.ods_code}", formdata=request.form if formdata else None
    )
    form.holder.choices = choice_list(
        [("", "Choose a practice")]
        + [
            (member.ods_code, display_name(member.name))
            for member in sorted(vote.electorate, key=lambda member: member.name)
            if member.kind == OrganisationKind.PRACTICE.value
            and member.organisation_id != grantor.id
            and not member.recused
        ]
    )
    form.instruction.choices = choice_list(
        [("", "No instruction: the proxy decides")]
        + [(option, option_label(vote, option)) for option in vote.options]
    )
    return form


def _conflict_form(vote: Vote, formdata: bool = False) -> ConflictForm:
    declared = set(
        db.session.execute(
            sa.select(ConflictDeclaration.organisation_id).where(
                ConflictDeclaration.vote_id == vote.id
            )
        ).scalars()
    )
    form = ConflictForm(prefix="conflict", formdata=request.form if formdata else None)
    form.organisation.choices = choice_list(
        (org.ods_code, display_name(org.name))
        for org in conflict_organisations(vote)
        if org.id not in declared
    )
    return form


def ruling_form(declaration: ConflictDeclaration, formdata: bool = False) -> RulingForm:
    current = declaration.ruling
    return RulingForm(
        prefix=f"ruling-{declaration.id}",
        formdata=request.form if formdata else None,
        data={"ruling": None if current is ConflictRuling.PENDING else current.value},
    )


def render_vote(
    vote: Vote,
    *,
    proxy_forms: dict[int, ProxyForm] | None = None,
    conflict_form: ConflictForm | None = None,
    ruling_forms: dict[int, RulingForm] | None = None,
    cancel_form: CancelVoteForm | None = None,
) -> str:
    user = acting_user()
    manager = can_manage_votes(user, vote.area)
    shares = member_shares(vote)
    proxy_sections = []
    for practice in proxy_practices(vote):
        active = active_proxy(vote, practice)
        form = (proxy_forms or {}).get(practice.id) or _proxy_form(vote, practice)
        proxy_sections.append((practice, active, form))
    declarations = conflict_declarations(vote)
    conflict_ids = {organisation.id for organisation in conflict_organisations(vote)}
    own_declarations = [d for d in declarations if d.organisation_id in conflict_ids]
    if conflict_form is None and conflict_ids:
        conflict_form = _conflict_form(vote)
    context: dict[str, Any] = {
        "vote": vote,
        "manager": manager,
        "being_counted": being_counted(vote, utcnow()),
        "cards": casting_cards(vote, shares) if vote.state is VoteState.OPEN else [],
        "proxy_sections": proxy_sections,
        "own_declarations": own_declarations,
        "conflict_form": conflict_form
        if conflict_form and conflict_form.organisation.choices
        else None,
        "results_visible": can_see_results(user, vote),
        "error_forms": [
            form
            for form in [
                *(proxy_forms or {}).values(),
                conflict_form,
                *(ruling_forms or {}).values(),
                cancel_form,
            ]
            if form is not None and (form.errors or form.form_errors)
        ],
        "cancel_form": (cancel_form or CancelVoteForm(formdata=None))
        if can_cancel_vote(user, vote)
        else None,
    }
    if manager:
        rulings_open = accepting_changes(vote)
        context["declarations"] = [
            (
                declaration,
                ((ruling_forms or {}).get(declaration.id) or ruling_form(declaration))
                if rulings_open
                else None,
            )
            for declaration in declarations
        ]
        eligible = [member for member in vote.electorate if not member.recused]
        context["eligible_count"] = len(eligible)
        context["voted_count"] = db.session.execute(
            sa.select(sa.func.count(Ballot.id)).where(Ballot.vote_id == vote.id)
        ).scalar_one()
        context["electorate"] = [
            (member, shares.get(member.organisation_id)) for member in vote.electorate
        ]
    context["how_decided"] = how_decided_for(vote)
    return render_template("voting/vote.html", **context)


@blueprint.get("/<int:vote_id>")
@login_required
def vote(vote_id: int) -> str:
    return render_vote(load_vote(vote_id))


def _organisation_in_area(ods_code: str, kind: OrganisationKind) -> Organisation:
    organisation = db.session.execute(
        sa.select(Organisation).where(
            Organisation.area_id == g.area.id,
            Organisation.kind == kind,
            Organisation.ods_code == ods_code,
        )
    ).scalar_one_or_none()
    if organisation is None:
        abort(404)
    return organisation


@blueprint.post("/<int:vote_id>/proxy/<ods_code>")
@login_required
def name_proxy(vote_id: int, ods_code: str) -> str | Response:
    vote = load_vote(vote_id)
    grantor = _organisation_in_area(ods_code, OrganisationKind.PRACTICE)
    if not casts_for(current_user, grantor):
        abort(403)
    form = _proxy_form(vote, grantor, formdata=True)
    if form.validate_on_submit():
        holder = _organisation_in_area(form.holder.data, OrganisationKind.PRACTICE)
        with refusal_shown_on(form) as refused:
            voting_proxies.name_proxy(
                acting_user(), vote, grantor, holder, form.instruction.data or None, utcnow()
            )
        if not refused:
            flash(f"{holder.name} can now cast {grantor.name}'s ballot in this vote.", "info")
            return redirect(url_for(".vote", vote_id=vote.id, _anchor="proxy"))
    return render_vote(vote, proxy_forms={grantor.id: form})


@blueprint.post("/<int:vote_id>/proxies/<int:proxy_id>/revoke")
@login_required
def revoke_proxy(vote_id: int, proxy_id: int) -> Response:
    vote = load_vote(vote_id)
    proxy = db.session.get(Proxy, proxy_id)
    if proxy is None or proxy.vote_id != vote.id:
        abort(404)
    if not casts_for(current_user, proxy.grantor):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        voting_proxies.revoke_proxy(acting_user(), proxy, utcnow())
    if not refused:
        flash(f"The proxy has been revoked: {proxy.grantor.name} casts its own ballot.", "info")
    return redirect(url_for(".vote", vote_id=vote.id, _anchor="proxy"))


@blueprint.post("/<int:vote_id>/conflicts")
@login_required
def declare_conflict(vote_id: int) -> str | Response:
    vote = load_vote(vote_id)
    organisations = conflict_organisations(vote)
    if not organisations:
        abort(403)
    form = _conflict_form(vote, formdata=True)
    if form.validate_on_submit():
        organisation = next(org for org in organisations if org.ods_code == form.organisation.data)
        category, description = InterestCategory(form.category.data), form.description.data
        with refusal_shown_on(form) as refused:
            conflicts.declare_conflict(
                acting_user(), vote, organisation, category, description, utcnow()
            )
        if not refused:
            flash(CONFLICT_DECLARED.format(name=organisation.name), "info")
            return redirect(url_for(".vote", vote_id=vote.id, _anchor="conflicts"))
    return render_vote(vote, conflict_form=form)
