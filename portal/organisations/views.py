"""An area's overview, its practices and PCNs, and any one organisation in it.

Every page here is for members of the area only. A page a user may not see answers 404, as an
unknown one does, so the portal does not say which areas and organisations exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_login import current_user, login_required

from portal.navigation import add_link
from portal.organisations import services
from portal.organisations.area_context import bind_area
from portal.organisations.models import OrganisationKind
from portal.organisations.permissions import can_view_organisation

blueprint = Blueprint(
    "organisations", __name__, template_folder="templates", url_prefix="/areas/<area_slug>"
)
bind_area(blueprint)
add_link(blueprint, "Overview", "organisations.area_home", order=10)
add_link(blueprint, "Practices", "organisations.practices", order=11)
add_link(blueprint, "PCNs", "organisations.pcns", order=12)


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
