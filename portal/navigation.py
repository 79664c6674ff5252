"""The header's links, assembled from what each blueprint contributes.

A domain adds its links where it creates its blueprint, each with the test of who may see it;
the shared core then shows them in ``order`` without importing any domain. Links are kept per
app, when the blueprint is registered, so an app has exactly the links of its blueprints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, g, url_for
from flask_login import current_user

#: Who may see a link: called with the signed-in user and the current area.
Visible = Callable[[Any, Any], bool]


def _everyone(user: Any, area: Any) -> bool:
    return True


@dataclass(frozen=True)
class Link:
    text: str
    endpoint: str
    order: int
    visible: Visible
    in_area: bool  # the link's URL takes the area's slug
    area_argument: str  # under which name (a path part, or a query such as ``?area=``)


def add_link(
    blueprint: Blueprint,
    text: str,
    endpoint: str,
    *,
    order: int,
    visible: Visible = _everyone,
    in_area: bool = True,
    area_argument: str = "area_slug",
) -> None:
    """Show ``text`` linking to ``endpoint`` to whoever ``visible`` allows, at ``order`` (lower
    first: 10 overview ... 90 administration)."""
    link = Link(text, endpoint, order, visible, in_area, area_argument)
    blueprint.record_once(
        lambda state: state.app.extensions.setdefault("navigation", []).append(link)
    )


def navigation() -> list[dict[str, Any]]:
    """Header links for the signed-in user in the current area, by what they may see."""
    area = g.get("area")
    if not current_user.is_authenticated or area is None:
        return []
    links = sorted(current_app.extensions.get("navigation", []), key=lambda link: link.order)
    return [
        {
            "text": link.text,
            "href": url_for(link.endpoint, **{link.area_argument: area.slug})
            if link.in_area
            else url_for(link.endpoint),
        }
        for link in links
        if link.visible(current_user, area)
    ]
