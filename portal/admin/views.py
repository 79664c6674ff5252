"""Area administration: members, invitations, roles and hand-made organisations.

Only area administrators may see these pages; everyone else gets 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from portal.accounts import services as account_services
from portal.accounts.forms import AddMembershipForm, ConfirmForm, InviteForm
from portal.accounts.models import Invitation, Membership, Role, User
from portal.accounts.reauthentication import require_recent_authentication_to_post
from portal.admin import grants, services
from portal.admin.forms import OrganisationForm
from portal.database import utcnow
from portal.extensions import db
from portal.http import acting_user, refusal_shown_on
from portal.names import display_name
from portal.navigation import add_link
from portal.organisations.area_context import bind_area
from portal.organisations.models import Organisation, OrganisationKind
from portal.organisations.permissions import can_administer_area

blueprint = Blueprint(
    "admin", __name__, url_prefix="/areas/<area_slug>/admin", template_folder="templates"
)
bind_area(blueprint)
add_link(blueprint, "Members", "admin.members", order=90, visible=can_administer_area)
grants.init_app()


@blueprint.before_request
def _require_area_admin() -> None:
    if not can_administer_area(current_user, g.area):
        abort(404)


def _organisation_choices() -> list[SelectChoice]:
    """Every organisation in the area, hand-made ones first, then PCNs, then practices."""
    order = {
        OrganisationKind.LMC: 0,
        OrganisationKind.FEDERATION: 1,
        OrganisationKind.ICS: 2,
        OrganisationKind.PCN: 3,
        OrganisationKind.PRACTICE: 4,
    }
    organisations = db.session.execute(
        sa.select(Organisation).where(
            Organisation.area_id == g.area.id, Organisation.closed_on.is_(None)
        )
    ).scalars()
    ranked = sorted(organisations, key=lambda org: (order[org.kind], org.name))
    return [SelectChoice("", "Choose an organisation")] + [
        SelectChoice(str(org.id), f"{display_name(org.name)} ({org.kind.label}, {org.ods_code})")
        for org in ranked
    ]


def _organisation_in_area(organisation_id: str | int | None) -> Organisation:
    try:
        organisation = db.session.get(Organisation, int(organisation_id or 0))
    except ValueError:
        abort(404)
    if organisation is None or organisation.area_id != g.area.id:
        abort(404)
    return organisation


def _member_in_area(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not any(m.organisation.area_id == g.area.id for m in user.memberships):
        abort(404)
    return user


@blueprint.route("/members")
def members() -> str:
    memberships = account_services.area_memberships(g.area)
    people: dict[int, list[Membership]] = {}
    for membership in memberships:
        people.setdefault(membership.user_id, []).append(membership)
    return render_template(
        "admin/members.html",
        people=[(roles[0].user, roles) for roles in people.values()],
        invitations=account_services.pending_invitations(g.area, utcnow()),
        confirm_form=ConfirmForm(),
    )


@blueprint.route("/members/invite", methods=["GET", "POST"])
@require_recent_authentication_to_post
def invite() -> str | Response:
    form = InviteForm()
    form.organisation.choices = _organisation_choices()
    if form.validate_on_submit():
        organisation = _organisation_in_area(form.organisation.data)
        with refusal_shown_on(form) as refused:
            invitation = account_services.invite(
                acting_user(),
                organisation,
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                now=utcnow(),
            )
        if not refused:
            flash(f"Invitation sent to {invitation.email}.", "info")
            return redirect(url_for("admin.members"))
    return render_template("admin/invite.html", form=form)


@blueprint.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(invitation_id: int) -> Response:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation.area_id != g.area.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        account_services.revoke_invitation(acting_user(), invitation, utcnow())
    if not refused:
        flash(f"The invitation to {invitation.email} has been revoked.", "info")
    return redirect(url_for("admin.members"))


@blueprint.route("/members/<int:user_id>", methods=["GET", "POST"])
@require_recent_authentication_to_post
def member(user_id: int) -> str | Response:
    user = _member_in_area(user_id)
    form = AddMembershipForm()
    form.organisation.choices = _organisation_choices()
    if form.validate_on_submit():
        organisation = _organisation_in_area(form.organisation.data)
        with refusal_shown_on(form) as refused:
            account_services.add_membership(acting_user(), user, organisation, Role(form.role.data))
        if not refused:
            role = Role(form.role.data).label
            flash(f"{user.name} is now {role} of {display_name(organisation.name)}.")
            return redirect(url_for("admin.member", user_id=user.id))
    memberships = [m for m in user.memberships if m.organisation.area_id == g.area.id]
    return render_template(
        "admin/member.html",
        member=user,
        memberships=memberships,
        form=form,
        confirm_form=ConfirmForm(),
    )


@blueprint.route("/memberships/<int:membership_id>/remove", methods=["POST"])
def remove_membership(membership_id: int) -> Response:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation.area_id != g.area.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user_id = membership.user_id
    with refusal_shown_on() as refused:
        account_services.remove_membership(acting_user(), membership)
    if not refused:
        flash("The role has been removed.", "info")
    return redirect(url_for("admin.member", user_id=user_id))


@blueprint.route("/members/<int:user_id>/<any(deactivate, reactivate):change>", methods=["POST"])
def set_active(user_id: int, change: str) -> Response:
    user = _member_in_area(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refusal_shown_on() as refused:
        account_services.set_user_active(acting_user(), user, g.area, active=change == "reactivate")
    if not refused:
        flash(f"{user.name} has been {change}d.", "info")
    return redirect(url_for("admin.member", user_id=user.id))


@blueprint.route("/organisations", methods=["GET", "POST"])
def organisations() -> str | Response:
    form = OrganisationForm()
    if form.validate_on_submit():
        with refusal_shown_on(form) as refused:
            organisation = services.add_organisation(
                acting_user(),
                g.area,
                kind=OrganisationKind(form.kind.data),
                ods_code=form.ods_code.data,
                name=form.name.data,
                postcode=form.postcode.data,
            )
        if not refused:
            flash(f"{display_name(organisation.name)} has been added.", "info")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisations.html", form=form, organisations=_hand_made())


def _hand_made() -> list[Organisation]:
    """The area's organisations added by hand here, not imported from the NHS files."""
    return list(
        db.session.execute(
            sa.select(Organisation)
            .where(
                Organisation.area_id == g.area.id,
                Organisation.kind.in_(list(services.HAND_MADE)),
            )
            .order_by(Organisation.kind, Organisation.name)
        ).scalars()
    )
