"""Questions other domains ask about who belongs to an area's leadership group (people and
their memberships are this domain's; the roles that count are organisations')."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import Membership, User
from portal.extensions import db
from portal.organisations.models import Area, Organisation
from portal.organisations.permissions import GROUP_ROLES


def group_members(area: Area) -> list[User]:
    """Active people holding a leadership group role in one of the area's organisations, by
    name (each once, however many roles they hold)."""
    query = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(
            Organisation.area_id == area.id,
            Membership.role.in_(GROUP_ROLES),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.name, User.id)
    )
    return list(db.session.scalars(query))
