"""The confidentiality tiers of drafts and statements, decided in one place.

``lmc``: LMC officers and area administrators. ``group``: every member of the area's
organisations except ICS readers. ``ics``: the group, and ICS readers once published.
``public``: the group while a draft; anyone at all, signed in or not, once published.
"""

from __future__ import annotations

from typing import Any

from portal.accounts.models import Role
from portal.organisations.models import Area
from portal.organisations.permissions import GROUP_ROLES, OFFICER_ROLES, roles_in_area
from portal.positions.models import Tier


def can_read(user: Any, area: Area, tier: Tier, *, published: bool) -> bool:
    """Whether ``user`` may read something of ``tier`` in ``area``."""
    if published and tier is Tier.PUBLIC:
        return True
    roles = roles_in_area(user, area)
    if roles & OFFICER_ROLES:
        return True
    if tier is Tier.LMC:
        return False
    if roles & GROUP_ROLES:
        return True
    return published and tier is Tier.ICS and Role.ICS_READER in roles


def readable_tiers(user: Any, area: Area, *, published: bool) -> frozenset[Tier]:
    """Every tier ``user`` may read, for filtering lists, searches, feeds and the API."""
    return frozenset(tier for tier in Tier if can_read(user, area, tier, published=published))
