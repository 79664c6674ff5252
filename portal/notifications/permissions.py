"""Who may see and change what here. Deny by default.

- Each member changes only their own preferences: signed in, or through the signed link in an
  email they were sent, which names them and one kind of email.
- Only an area's administrators see that area's outbox (subjects, recipients, states and
  reasons; never the bodies, which may hold sign-in links and receipt codes). Anyone else,
  LMC officers included, gets 404.
"""

from __future__ import annotations

from typing import Any

from portal.organisations.models import Area
from portal.organisations.permissions import can_administer_area


def can_change_preferences(user: Any, owner: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.id == owner.id


def can_see_outbox(user: Any, area: Area) -> bool:
    return can_administer_area(user, area)
