"""What domains above a page's own domain add to it, without the page importing them.

A position's page shows the needs behind the draft and the statement it became, but needs and
statements sit above positions in the import order (they link to positions, not the other
way). So the page names itself and asks for its parts; each higher domain registers, when its
blueprint is registered, a function that gives the template values it owns. The navigation
(``portal.navigation``) and the ICS proposals voting shows work the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, current_app

PagePart = Callable[..., Mapping[str, Any]]
_EXTENSION = "page_parts"


def add_part(blueprint: Blueprint, page: str, part: PagePart) -> None:
    """Have ``part(**subject)`` add its values to every rendering of ``page``."""

    def register(state: Any) -> None:
        state.app.extensions.setdefault(_EXTENSION, {}).setdefault(page, []).append(part)

    blueprint.record_once(register)


def parts_of(page: str, **subject: Any) -> dict[str, Any]:
    """The template values every registered part gives ``page`` for ``subject``."""
    values: dict[str, Any] = {}
    for part in current_app.extensions.get(_EXTENSION, {}).get(page, []):
        values.update(part(**subject))
    return values
