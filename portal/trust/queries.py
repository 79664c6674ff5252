"""Read-only questions other parts of the portal ask about the trust pulse (the home page's
list of what needs a person). Nothing here writes, so a page view may ask them."""

from __future__ import annotations

from portal.accounts.models import User
from portal.organisations.models import Area
from portal.trust.models import TrustRound
from portal.trust.permissions import can_answer
from portal.trust.services import current_round, has_answered


def round_awaiting_answer(user: User, area: Area) -> TrustRound | None:
    """The area's open round, if the person may answer it and has not yet."""
    if not can_answer(user, area):
        return None
    trust_round = current_round(area)
    if trust_round is None or has_answered(user, trust_round):
        return None
    return trust_round
