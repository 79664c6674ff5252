"""The practice needs and PCN needs channels: lists, needs, dashboards, exports, triage.

Deny by default: every page needs a signed-in member of the area who can see at least one
channel. A need or channel the user may not see answers 404; an action on a need they can see
but may not take answers 403. Every list, count and export starts from
``permissions.visible_needs_query``.
"""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal import tiers
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import User
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.names import display_name
from portal.navigation import add_link
from portal.needs import forms, listings, permissions, presenters, services
from portal.needs.models import (
    Need,
    NeedCategory,
    NeedChannel,
    NeedStatus,
    NeedUrgency,
    PcnNeedAuthorisation,
)
from portal.organisations.area_context import bind_area
from portal.organisations.models import Organisation, OrganisationKind
from portal.organisations.services import organisation_in_area
from portal.page_parts import add_part
from portal.positions.models import Position, PositionState, Proposal
from portal.tiers import Tier

blueprint = Blueprint(
    "needs", __name__, url_prefix="/areas/<area_slug>/needs", template_folder="templates"
)
bind_area(blueprint)
add_link(blueprint, "Needs", "needs.index", order=40, visible=permissions.can_see_needs)
add_part(
    blueprint,
    "position",
    lambda user, position: {"needs_behind": listings.needs_behind(user, position)},
)

CHANNELS = "<any(practice, pcn):channel_name>"
E = TypeVar("E", bound=Enum)


@blueprint.before_request
def _require_a_channel() -> None:
    if not permissions.visible_channels(current_user, g.area):
        abort(404)


def _channel(channel_name: str) -> NeedChannel:
    channel = NeedChannel(channel_name)
    if not permissions.can_see_channel(current_user, g.area, channel):
        abort(404)
    return channel


def _visible_need(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if (
        need is None
        or need.area_id != g.area.id
        or not permissions.can_see_need(current_user, need)
    ):
        abort(404)
    return need


def _organisation_in_area(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.area_id != g.area.id:
        abort(404)
    return organisation


def _enum_argument(
    enum_class: type[E], name: str, allowed: tuple[E, ...] | None = None
) -> E | None:
    try:
        value = enum_class(request.args.get(name, ""))
    except ValueError:
        return None
    return value if allowed is None or value in allowed else None


def _organisation_choices(organisations: list[Organisation]) -> list[SelectChoice]:
    choices = [
        SelectChoice(str(org.id), f"{display_name(org.name)} ({org.kind.label}, {org.ods_code})")
        for org in organisations
    ]
    if len(choices) > 1:
        choices.insert(0, SelectChoice("", "Choose an organisation"))
    return choices


def _chosen(organisations: list[Organisation], organisation_id: str) -> Organisation:
    for organisation in organisations:
        if str(organisation.id) == organisation_id:
            return organisation
    abort(403)


@blueprint.get("/")
def index() -> str:
    return render_template("needs/index.html", **presenters.index_page(current_user, g.area))


@blueprint.get("/overview")
def overview() -> str:
    if not permissions.can_see_overview(current_user, g.area):
        abort(404)
    return render_template(
        "needs/overview.html",
        dashboards=[listings.dashboard(current_user, g.area, channel) for channel in NeedChannel],
    )


@blueprint.get(f"/{CHANNELS}/")
def channel_list(channel_name: str) -> str:
    channel = _channel(channel_name)
    search = request.args.get("q", "").strip()[: listings.SEARCH_MAX_LENGTH]
    category = _enum_argument(NeedCategory, "category", channel.categories)
    status = _enum_argument(NeedStatus, "status")
    needs = listings.find_needs(
        current_user, g.area, channel, search=search, category=category, status=status
    )
    return render_template(
        "needs/list.html",
        channel=channel,
        needs=needs,
        totals=listings.support_totals(needs),
        search=search,
        category=category,
        status=status,
        statuses=NeedStatus,
        can_raise=permissions.can_raise_in_channel(current_user, g.area, channel),
    )


@blueprint.route(f"/{CHANNELS}/new", methods=["GET", "POST"])
def raise_need(channel_name: str) -> str | Response:
    channel = _channel(channel_name)
    speaking = permissions.organisations_user_may_speak_for(current_user, g.area, channel)
    if not speaking:
        abort(403)
    form = forms.raise_form_for(channel)
    form.organisation.choices = _organisation_choices(speaking)
    if request.method == "GET":
        form.urgency.data = NeedUrgency.ROUTINE.value
    if form.validate_on_submit() and (need := _raised(form, speaking, channel)) is not None:
        flash(f"Need {need.id} raised for {display_name(need.organisation.name)}.", "success")
        return redirect(url_for("needs.detail", need_id=need.id))
    return render_template("needs/raise.html", form=form, channel=channel)


def _raised(
    form: forms.RaiseNeedForm, speaking: list[Organisation], channel: NeedChannel
) -> Need | None:
    """The need raised for the organisation chosen; None when refused (the reason is on
    ``form``)."""
    need = None
    with refusal_shown_on(form):
        need = services.raise_need(
            acting_user(),
            _chosen(speaking, form.organisation.data),
            channel,
            title=form.title.data,
            description_markdown=form.description.data,
            category=NeedCategory(form.category.data),
            urgency=NeedUrgency(form.urgency.data),
            lmc_only=bool(getattr(form, "lmc_only", None) and form.lmc_only.data),
        )
    return need


@blueprint.get(f"/{CHANNELS}/dashboard")
def dashboard(channel_name: str) -> str:
    channel = _channel(channel_name)
    return render_template(
        "needs/dashboard.html",
        channel=channel,
        dashboard=listings.dashboard(current_user, g.area, channel),
    )


@blueprint.get(f"/{CHANNELS}/export.csv")
def export(channel_name: str) -> Response:
    channel = _channel(channel_name)
    body = listings.export_csv(current_user, g.area, channel)
    filename = f"{g.area.slug}-{channel.value}-needs-{utcnow():%Y-%m-%d}.csv"
    # The byte-order mark makes Excel read the file as UTF-8.
    return Response(
        "\ufeff" + body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _link_form(need: Need, form: forms.LinkForm | None = None) -> forms.LinkForm:
    form = form or forms.LinkForm(
        formdata=None,
        proposal=str(need.proposal_id or ""),
        position=str(need.position_id or ""),
    )
    proposals = db.session.execute(
        sa.select(Proposal).where(Proposal.area_id == g.area.id).order_by(Proposal.title)
    ).scalars()
    positions = db.session.execute(
        sa.select(Position).where(Position.area_id == g.area.id).order_by(Position.id.desc())
    ).scalars()
    form.proposal.choices = [SelectChoice("", "None")] + [
        SelectChoice(str(proposal.id), proposal.title) for proposal in proposals
    ]
    form.position.choices = [SelectChoice("", "None")] + [
        SelectChoice(str(position.id), f"{position.title} ({position.state.value})")
        for position in positions
    ]
    return form


def _linked(need: Need) -> tuple[Proposal | None, Position | None]:
    """What the need is linked to, as far as this reader may see it."""
    proposal = need.proposal
    if proposal is not None and not tiers.can_read(
        current_user, g.area, Tier.GROUP, published=False
    ):
        proposal = None
    position = need.position
    if position is not None and not tiers.can_read(
        current_user, g.area, position.tier, published=position.state is PositionState.PUBLISHED
    ):
        position = None
    return proposal, position


def _render_need(
    need: Need,
    comment_form: forms.CommentForm | None = None,
    status_form: forms.StatusForm | None = None,
    link_form: forms.LinkForm | None = None,
) -> str:
    user = current_user
    speaking_ids = {
        organisation.id
        for organisation in permissions.organisations_user_may_speak_for(user, g.area, need.channel)
    }
    supporter_ids = {support.organisation_id for support in need.supports}
    commenting = permissions.comment_organisations(user, need)
    if comment_form is None and commenting:
        comment_form = forms.CommentForm(formdata=None)
    if comment_form is not None:
        comment_form.organisation.choices = _organisation_choices(commenting)
    can_triage = permissions.can_triage(user, need)
    if status_form is None and can_triage:
        status_form = forms.StatusForm(formdata=None)
    if can_triage:
        link_form = _link_form(need, link_form)
    linked_proposal, linked_position = _linked(need)
    merged_into = need.merged_into
    patients = listings.organisation_patients(
        [need.organisation_id, *(support.organisation_id for support in need.supports)]
    )
    return render_template(
        "needs/detail.html",
        need=need,
        totals=listings.support_totals([need])[need.id],
        patients=patients,
        can_support_for=[
            organisation
            for organisation in permissions.support_organisations(user, need)
            if organisation.id not in supporter_ids
        ],
        can_withdraw_ids=supporter_ids & speaking_ids,
        comment_form=comment_form,
        status_form=status_form,
        link_form=link_form,
        linked_proposal=linked_proposal,
        linked_position=linked_position,
        can_triage=can_triage,
        merged_from=listings.merged_from(need),
        merged_into=merged_into
        if merged_into is not None and permissions.can_see_need(user, merged_into)
        else None,
    )


@blueprint.get("/<int:need_id>")
def detail(need_id: int) -> str:
    return _render_need(_visible_need(need_id))


@blueprint.post("/<int:need_id>/supports/<int:organisation_id>")
def support(need_id: int, organisation_id: int) -> Response:
    need = _visible_need(need_id)
    organisation = _organisation_in_area(organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not permissions.can_support(current_user, need, organisation):
        abort(403)
    with refusal_shown_on() as refused:
        services.support(acting_user(), need, organisation)
    if not refused:
        flash(f"{display_name(organisation.name)} now supports this need.", "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@blueprint.post("/<int:need_id>/supports/<int:organisation_id>/withdraw")
def withdraw_support(need_id: int, organisation_id: int) -> Response:
    need = _visible_need(need_id)
    organisation = _organisation_in_area(organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not permissions.may_speak_for(current_user, organisation, need.channel):
        abort(403)
    with refusal_shown_on() as refused:
        services.withdraw_support(acting_user(), need, organisation)
    if not refused:
        flash(f"{display_name(organisation.name)} no longer supports this need.", "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@blueprint.post("/<int:need_id>/comments")
def comment(need_id: int) -> str | Response:
    need = _visible_need(need_id)
    commenting = permissions.comment_organisations(current_user, need)
    if not commenting:
        abort(403)
    form = forms.CommentForm()
    form.organisation.choices = _organisation_choices(commenting)
    if form.validate_on_submit():
        with refusal_shown_on() as refused:
            services.comment(
                acting_user(), need, _chosen(commenting, form.organisation.data), form.body.data
            )
        if not refused:
            flash("Your comment has been added.", "success")
        return redirect(url_for("needs.detail", need_id=need.id, _anchor="comments"))
    return _render_need(need, comment_form=form)


@blueprint.post("/<int:need_id>/status")
def change_status(need_id: int) -> str | Response:
    need = _visible_need(need_id)
    if not permissions.can_triage(current_user, need):
        abort(403)
    form = forms.StatusForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            services.change_status(
                acting_user(), need, NeedStatus(form.status.data), form.reason.data
            )
        if not refused:
            flash(f"Need {need.id} is now {need.status.label.lower()}.", "success")
            return redirect(url_for("needs.detail", need_id=need.id))
    return _render_need(need, status_form=form)


@blueprint.post("/<int:need_id>/link")
def link(need_id: int) -> str | Response:
    need = _visible_need(need_id)
    if not permissions.can_triage(current_user, need):
        abort(403)
    form = _link_form(need, forms.LinkForm())
    if form.validate_on_submit():
        proposal = _in_area(Proposal, form.proposal.data)
        position = _in_area(Position, form.position.data)
        with refusal_shown_on(form) as refused:
            services.link(acting_user(), need, proposal, position)
        if not refused:
            flash(f"Need {need.id}'s links have been saved.", "success")
            return redirect(url_for("needs.detail", need_id=need.id))
    return _render_need(need, link_form=form)


_Linked = TypeVar("_Linked", Proposal, Position)


def _in_area(model: type[_Linked], chosen: str) -> _Linked | None:
    if not chosen:
        return None
    found = db.session.get(model, int(chosen))
    if found is None or found.area_id != g.area.id:
        abort(404)
    return found


@blueprint.route("/<int:need_id>/merge", methods=["GET", "POST"])
def merge(need_id: int) -> str | Response:
    duplicate = _visible_need(need_id)
    if not permissions.can_triage(current_user, duplicate):
        abort(403)
    candidates = listings.merge_candidates(current_user, duplicate)
    form = forms.MergeForm()
    form.kept.choices = [SelectChoice("", "Choose the need to keep")] + [
        SelectChoice(
            str(need.id), f"Need {need.id}: {need.title} ({display_name(need.organisation.name)})"
        )
        for need in candidates
    ]
    if form.validate_on_submit():
        kept = next(need for need in candidates if str(need.id) == form.kept.data)
        with refusal_shown_on(form) as refused:
            services.merge(acting_user(), duplicate, kept)
        if not refused:
            flash(f"Need {duplicate.id} has been merged into this need.", "success")
            return redirect(url_for("needs.detail", need_id=kept.id))
    return render_template("needs/merge.html", need=duplicate, form=form, candidates=candidates)


def _led_pcn(ods_code: str) -> Organisation:
    pcn = organisation_in_area(g.area, ods_code)
    if (
        pcn is None
        or pcn.kind is not OrganisationKind.PCN
        or not permissions.can_manage_pcn_authorisations(current_user, pcn)
    ):
        abort(404)
    return pcn


@blueprint.route("/pcns/<ods_code>/authorisations", methods=["GET", "POST"])
def authorisations(ods_code: str) -> str | Response:
    pcn = _led_pcn(ods_code)
    live = listings.live_authorisations(pcn)
    candidates = _candidates(pcn, live)
    form = forms.AuthoriseForm()
    form.member.choices = [SelectChoice("", "Choose a person")] + [
        SelectChoice(str(person.id), f"{person.name} ({person.email})") for person in candidates
    ]
    if form.validate_on_submit():
        member = next(person for person in candidates if str(person.id) == form.member.data)
        with refusal_shown_on(form) as refused:
            services.authorise_pcn_member(acting_user(), pcn, member)
        if not refused:
            pcn_name = display_name(pcn.name)
            flash(f"{member.name} can now raise and support PCN needs for {pcn_name}.", "success")
            return redirect(url_for("needs.authorisations", ods_code=pcn.ods_code))
    return render_template(
        "needs/authorisations.html", pcn=pcn, authorisations=live, form=form, candidates=candidates
    )


def _candidates(pcn: Organisation, live: list[PcnNeedAuthorisation]) -> list[User]:
    """The network's members who may be authorised: not already, and not the user."""
    authorised_ids = {authorisation.user_id for authorisation in live}
    return [
        person
        for person in listings.eligible_pcn_members(pcn)
        if person.id not in authorised_ids and person.id != current_user.id
    ]


@blueprint.post("/authorisations/<int:authorisation_id>/revoke")
def revoke_authorisation(authorisation_id: int) -> Response:
    authorisation = db.session.get(PcnNeedAuthorisation, authorisation_id)
    if authorisation is None or authorisation.pcn.area_id != g.area.id:
        abort(404)
    pcn = _led_pcn(authorisation.pcn.ods_code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        services.revoke_pcn_authorisation(acting_user(), authorisation)
    if not refused:
        flash(
            f"{authorisation.user.name} can no longer speak for {display_name(pcn.name)}.",
            "success",
        )
    return redirect(url_for("needs.authorisations", ods_code=pcn.ods_code))
