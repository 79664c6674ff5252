"""Blueprints under ``/areas/<area_slug>`` share one rule for loading their area.

Every such page needs a signed-in member of the area: a visitor is sent to sign in (without
learning whether the area exists), and anyone else gets 404. ``g.area`` is set only once the
user may see the area, because the header shows its name and an error page must not show the
name of an area the user is not in. Each blueprint then adds its own narrower check.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, session
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.organisations.models import Area
from portal.organisations.permissions import can_view_area

# The signed session's record of the area a person in several areas is working in: set by the
# header's switcher and by opening any page of an area, read by the start page and the header.
CHOSEN_AREA_KEY = "area"

# Built once: every page of an area runs it.
_AREA_BY_SLUG = sa.select(Area).where(Area.slug == sa.bindparam("slug"))


def bind_area(blueprint: Blueprint) -> None:
    """Call right after creating the blueprint, so its area check runs before its own."""

    @blueprint.url_value_preprocessor
    def _pull_area_slug(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.area_slug = (values or {}).pop("area_slug", None)

    @blueprint.url_defaults
    def _add_area_slug(endpoint: str, values: dict[str, Any]) -> None:
        if "area_slug" not in values and g.get("area") is not None:
            values["area_slug"] = g.area.slug

    @blueprint.before_request
    def _load_visible_area() -> Response | None:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        area = db.session.execute(_AREA_BY_SLUG, {"slug": g.get("area_slug")}).scalar_one_or_none()
        if area is None or not can_view_area(current_user, area):
            abort(404)
        g.area = area
        if session.get(CHOSEN_AREA_KEY) != area.slug:
            session[CHOSEN_AREA_KEY] = area.slug
        return None
