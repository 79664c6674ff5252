"""The confidentiality tiers of drafts, statements and needs' links to them, decided in one
place that positions, statements and needs all read (it needs only the roles organisations
give, so it sits just above them).

``lmc``: LMC officers and area administrators. ``group``: every member of the area's
organisations except ICS readers. ``ics``: the group, and ICS readers once published.
``public``: the group while a draft; anyone at all, signed in or not, once published.
"""

from __future__ import annotations

import enum
from typing import Any

from portal.organisations.models import Area
from portal.organisations.permissions import GROUP_ROLES, OFFICER_ROLES, roles_in_area
from portal.organisations.roles import Role


class Tier(enum.Enum):
    """Who may read a draft or statement. Each tier includes everyone of the tiers above it."""

    LMC = "lmc"  # LMC officers (and area administrators) only
    GROUP = "group"  # every member of the area's organisations except ICS readers
    ICS = "ics"  # also ICS readers, once published
    PUBLIC = "public"  # anyone, signed in or not, once published

    @property
    def label(self) -> str:
        return {
            "lmc": "LMC officers only",
            "group": "Members of the leadership group",
            "ics": "Group and ICS readers",
            "public": "Public",
        }[self.value]


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
