"""The start page (what needs the signed-in person, or the public front door) and the NHS.UK
static assets the design system's CSS refers to."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    render_template,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.figures import share_held
from portal.main.needs_you import agendas, visit_from
from portal.retention import RetentionPeriods
from portal.statements.queries import latest_public, public_statements_of

blueprint = Blueprint("main", __name__, template_folder="templates")

VISIT_KEY = "home_visit"
# The front door shows this many of each area's latest public statements.
LATEST_PER_AREA = 3


@blueprint.route("/")
def home() -> str | Response:
    if not current_user.is_authenticated:
        return render_template(
            "main/home.html", areas=latest_public(LATEST_PER_AREA), api_url=_api_url()
        )
    areas = sorted(
        {membership.organisation.area for membership in current_user.memberships},
        key=lambda area: area.name,
    )
    if len(areas) == 1:
        g.area = areas[0]
    now = utcnow()
    visit = visit_from(session.get(VISIT_KEY), now)
    session[VISIT_KEY] = visit.stored
    return render_template(
        "main/needs_you.html",
        areas=areas,
        agendas=agendas(current_user, areas, now, visit.since),
        visit=visit,
        share_text=share_held,
    )


@blueprint.get("/public/areas/<area_slug>")
def public_area(area_slug: str) -> str:
    found = public_statements_of(area_slug)
    if found is None:
        abort(404)
    return render_template("main/public_area.html", found=found, api_url=_api_url())


def _api_url() -> str | None:
    """The statements API's description, when the API is registered."""
    try:
        return url_for("statements_api.openapi")
    except BuildError:
        return None


@blueprint.get("/privacy")
def privacy() -> str:
    """The privacy notice, with the retention periods this deployment is configured with."""
    return render_template("main/privacy.html", periods=RetentionPeriods.from_config())


@blueprint.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def nhsuk_assets_dir() -> Path:
    return Path(current_app.static_folder or "") / "vendor" / "nhsuk" / "assets"


@blueprint.route("/assets/<path:filename>", endpoint="assets")
def assets(filename: str) -> Response:
    # nhsuk-frontend's compiled CSS refers to /assets/images/..., so they are served here.
    return send_from_directory(nhsuk_assets_dir(), filename, max_age=86400)
