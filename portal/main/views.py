"""The start page and the NHS.UK static assets the design system's CSS refers to."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

blueprint = Blueprint("main", __name__, template_folder="templates")


@blueprint.route("/")
def home() -> str | Response:
    if not current_user.is_authenticated:
        return render_template("main/home.html", areas=[])
    areas = sorted(
        {membership.organisation.area for membership in current_user.memberships},
        key=lambda area: area.name,
    )
    if len(areas) == 1:
        return redirect(url_for("organisations.area_home", area_slug=areas[0].slug))
    return render_template("main/home.html", areas=areas)


@blueprint.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def nhsuk_assets_dir() -> Path:
    return Path(current_app.static_folder or "") / "vendor" / "nhsuk" / "assets"


@blueprint.route("/assets/<path:filename>", endpoint="assets")
def assets(filename: str) -> Response:
    # nhsuk-frontend's compiled CSS refers to /assets/images/..., so they are served here.
    return send_from_directory(nhsuk_assets_dir(), filename, max_age=86400)
