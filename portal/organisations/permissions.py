"""Who may see and do what in an area. Deny by default: no membership, no access."""

from __future__ import annotations

from typing import Any

from portal.organisations.models import Area, Organisation
from portal.organisations.roles import Role

# Officers run the group's business: votes, publishing, triage. LMC officers and area admins.
OFFICER_ROLES = frozenset({Role.LMC_OFFICER, Role.AREA_ADMIN})
# The leadership group: every role in the area's organisations except ICS readers.
GROUP_ROLES = frozenset(Role) - {Role.ICS_READER}


def roles_in_area(user: Any, area: Area) -> frozenset[Role]:
    """Every role ``user`` holds in any organisation of ``area`` (empty when signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(
        membership.role
        for membership in user.memberships
        if membership.organisation.area_id == area.id
    )


def can_view_area(user: Any, area: Area) -> bool:
    return bool(roles_in_area(user, area))


def can_view_organisation(user: Any, organisation: Organisation) -> bool:
    return can_view_area(user, organisation.area)


def can_administer_area(user: Any, area: Area) -> bool:
    return Role.AREA_ADMIN in roles_in_area(user, area)


def is_officer(user: Any, area: Area) -> bool:
    return bool(roles_in_area(user, area) & OFFICER_ROLES)


def is_group_member(user: Any, area: Area) -> bool:
    return bool(roles_in_area(user, area) & GROUP_ROLES)


def is_lmc_officer(user: Any, area: Area) -> bool:
    return Role.LMC_OFFICER in roles_in_area(user, area)
