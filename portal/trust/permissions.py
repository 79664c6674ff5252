"""Who may see and run the trust pulse. Deny by default.

- Members of the leadership group (every role but ICS reader) see the rounds, answer an open
  round once, and see a closed round's results.
- LMC officers and area administrators open, close and publish rounds, and see the response
  rate while a round is open.
"""

from __future__ import annotations

from typing import Any

from portal.organisations.models import Area
from portal.organisations.permissions import is_group_member, is_officer


def can_see_trust(user: Any, area: Area) -> bool:
    return is_group_member(user, area)


def can_answer(user: Any, area: Area) -> bool:
    return is_group_member(user, area)


def can_run_rounds(user: Any, area: Area) -> bool:
    return is_officer(user, area)
