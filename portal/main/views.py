"""The start page (what needs the signed-in person, or the public front door) and the NHS.UK
static assets the design system's CSS refers to."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, g, render_template, send_from_directory, session
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.database import utcnow
from portal.main.needs_you import agendas, visit_from
from portal.voting.views import two_places

blueprint = Blueprint("main", __name__, template_folder="templates")

VISIT_KEY = "home_visit"


@blueprint.route("/")
def home() -> str | Response:
    if not current_user.is_authenticated:
        return render_template("main/home.html", areas=[])
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
        share_text=two_places,
    )


@blueprint.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def nhsuk_assets_dir() -> Path:
    return Path(current_app.static_folder or "") / "vendor" / "nhsuk" / "assets"


@blueprint.route("/assets/<path:filename>", endpoint="assets")
def assets(filename: str) -> Response:
    # nhsuk-frontend's compiled CSS refers to /assets/images/..., so they are served here.
    return send_from_directory(nhsuk_assets_dir(), filename, max_age=86400)
