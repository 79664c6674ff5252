"""Who may read, publish, end and answer statements. Deny by default.

Reading is decided by ``portal.tiers`` alone (a statement is always published):
these are thin wrappers so that every view, list, feed and API response asks the same question.
"""

from __future__ import annotations

from typing import Any

from portal.accounts.models import Role
from portal.organisations.models import Area
from portal.organisations.permissions import OFFICER_ROLES, is_officer, roles_in_area
from portal.statements.models import Statement
from portal.tiers import Tier, can_read, readable_tiers

# The ICS records its own response; an LMC officer (or area administrator) may on its behalf.
RESPONDING_ROLES = OFFICER_ROLES | {Role.ICS_READER}


def can_read_statement(user: Any, statement: Statement) -> bool:
    return can_read(user, statement.area, statement.tier, published=True)


def statement_tiers(user: Any, area: Area) -> frozenset[Tier]:
    """The tiers of ``area``'s statements that ``user`` may read."""
    return readable_tiers(user, area, published=True)


def can_publish(user: Any, area: Area) -> bool:
    """LMC officers and area administrators publish, supersede and withdraw statements."""
    return is_officer(user, area)


def can_end(user: Any, statement: Statement) -> bool:
    return can_read_statement(user, statement) and can_publish(user, statement.area)


def can_respond(user: Any, statement: Statement) -> bool:
    return can_read_statement(user, statement) and bool(
        roles_in_area(user, statement.area) & RESPONDING_ROLES
    )
