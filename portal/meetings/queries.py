"""Read-only questions other parts of the portal ask about meetings (the home page's list of
what needs a person). Nothing here writes, so a page view may ask them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import User
from portal.extensions import db
from portal.meetings.models import Meeting
from portal.meetings.permissions import can_see_meetings
from portal.organisations.models import Area


def next_meeting(user: User, area: Area, now: datetime) -> Meeting | None:
    """The area's next meeting not yet over, for someone who may see its meetings."""
    if not can_see_meetings(user, area):
        return None
    return db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.area_id == area.id, Meeting.ends_at > now)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    ).first()
