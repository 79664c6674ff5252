"""An area's overview, its practices and PCNs, and any one organisation in it.

Every page here is for members of the area only. A page a user may not see answers 404, as an
unknown one does, so the portal does not say which areas and organisations exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.navigation import add_link
from portal.organisations import services
from portal.organisations.area_context import CHOSEN_AREA_KEY, bind_area
from portal.organisations.forms import AreaSwitchForm
from portal.organisations.models import OrganisationKind
from portal.organisations.permissions import can_view_organisation

blueprint = Blueprint(
    "organisations", __name__, template_folder="templates", url_prefix="/areas/<area_slug>"
)
bind_area(blueprint)
add_link(blueprint, "Overview", "organisations.area_home", order=10)
add_link(blueprint, "Practices", "organisations.practices", order=11)
add_link(blueprint, "PCNs", "organisations.pcns", order=12)

# Not under an area: the switcher takes a person from whichever page they are on to another.
switch_blueprint = Blueprint("area_switch", __name__)


@blueprint.get("/")
@login_required
def area_home() -> str:
    return render_template(
        "organisations/area_home.html",
        summary=services.area_summary(g.area),
        memberships=services.memberships_in_area(current_user, g.area),
        other_organisations=services.other_organisations(g.area),
        in_several_areas=services.area_count(current_user) > 1,
    )


@blueprint.get("/practices")
@login_required
def practices() -> str:
    search = request.args.get("q", "").strip()[: services.SEARCH_MAX_LENGTH]
    pcn_code = request.args.get("pcn", "").strip().upper()
    order = services.PracticeOrder.from_parameter(request.args.get("sort"))
    rows = services.open_practices(g.area, search=search, pcn_code=pcn_code, order=order)
    return render_template(
        "organisations/practices.html",
        rows=rows,
        organisation_url_prefix=_organisation_url_prefix(),
        snapshot_dates=services.SnapshotDates.of_practices(rows),
        pcns=services.open_pcns(g.area),
        search=search,
        pcn_code=pcn_code,
        order=order,
        orders=services.PracticeOrder,
    )


def _organisation_url_prefix() -> str:
    """The organisation page's URL without the code: one url_for per row of a 6,000-row table
    takes half its render time."""
    placeholder = "ODSCODE"
    return url_for(".organisation", ods_code=placeholder).removesuffix(placeholder)


@blueprint.get("/pcns")
@login_required
def pcns() -> str:
    return render_template("organisations/pcns.html", pcns=services.pcn_summaries(g.area))


@blueprint.get("/organisations/<ods_code>")
@login_required
def organisation(ods_code: str) -> str:
    found = services.organisation_in_area(g.area, ods_code)
    if found is None or not can_view_organisation(current_user, found):
        abort(404)
    context: dict[str, Any] = {"organisation": found, "kinds": OrganisationKind}
    if found.kind is OrganisationKind.PRACTICE:
        context["current_pcn"] = services.current_pcn(found)
        context["pcn_history"] = services.pcn_history(found)
    if found.kind is OrganisationKind.PCN:
        members = services.pcn_member_practices(found)
        context["members"] = members
        context["members_list_size"] = services.total_list_size(members)
        context["members_weighted_list_size"] = services.total_weighted_list_size(members)
    context["list_size_history"] = services.list_size_history(found)
    return render_template("organisations/organisation.html", **context)


@switch_blueprint.app_context_processor
def _area_switcher() -> dict[str, Any]:
    """The header's switcher: only for a signed-in person in more than one area."""

    def area_switch_form() -> AreaSwitchForm | None:
        if not current_user.is_authenticated:
            return None
        areas = services.areas_of(current_user)
        if len(areas) < 2:
            return None
        form = AreaSwitchForm(formdata=None)
        form.area.choices = [(area.slug, area.name) for area in areas]
        current = g.get("area")
        form.area.data = current.slug if current is not None else session.get(CHOSEN_AREA_KEY)
        return form

    return {"area_switch_form": area_switch_form}


@switch_blueprint.post("/areas/switch")
@login_required
def switch_area() -> Response:
    """Remember the chosen area in the signed session and go to its overview.

    Only the person's own areas are choices, so another slug is refused like a bad value,
    without saying whether that area exists.
    """
    form = AreaSwitchForm()
    form.area.choices = [(area.slug, area.name) for area in services.areas_of(current_user)]
    if not form.validate():
        flash("Choose one of your areas.", "error")
        return redirect(request.referrer or url_for("main.home"))
    session[CHOSEN_AREA_KEY] = form.area.data
    return redirect(url_for("organisations.area_home", area_slug=form.area.data))
