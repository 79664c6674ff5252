"""Who may see and do what with meetings. Deny by default.

- Members of the leadership group (not ICS readers) see the area's meetings, their agenda,
  attendance, decisions and actions, and the minutes once the chair has approved them.
- LMC officers and area administrators set up series and meetings.
- A meeting's chair, and the officers, keep its agenda, attendance, draft minutes,
  decisions and actions; only the chair approves the minutes.
"""

from __future__ import annotations

from typing import Any

from portal.meetings.models import Meeting
from portal.organisations.models import Area
from portal.organisations.permissions import is_group_member, is_officer


def can_see_meetings(user: Any, area: Area) -> bool:
    return is_group_member(user, area)


def can_organise(user: Any, area: Area) -> bool:
    return is_officer(user, area)


def is_chair(user: Any, meeting: Meeting) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and meeting.chair_id == user.id


def can_run(user: Any, meeting: Meeting) -> bool:
    return is_chair(user, meeting) or can_organise(user, meeting.area)


def can_approve_minutes(user: Any, meeting: Meeting) -> bool:
    return is_chair(user, meeting)


def can_read_minutes(user: Any, meeting: Meeting) -> bool:
    if not can_see_meetings(user, meeting.area):
        return False
    return meeting.minutes_approved_at is not None or can_run(user, meeting)
