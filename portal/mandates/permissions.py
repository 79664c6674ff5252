"""Who may see and do what with mandates. Deny by default.

- A granted mandate is read at the tier the officer chose, exactly as a statement of that tier
  (``portal.tiers``): every member of the area's leadership group, and also ICS
  readers (``ics``) or anyone at all (``public``).
- A mandate still awaiting its motion, or whose motion did not pass, is read by whoever may see
  that motion (officers while it is a draft, members once it has opened).
- LMC officers and area administrators attach mandates to motions and propose revocation; only
  an LMC officer suspends one; only a holder records a commitment under it.
"""

from __future__ import annotations

from typing import Any

from portal.mandates.models import GRANTED_STATES, Mandate
from portal.organisations.models import Area
from portal.organisations.permissions import is_lmc_officer, is_officer
from portal.tiers import Tier, can_read, readable_tiers
from portal.voting.permissions import can_see_vote


def mandate_tiers(user: Any, area: Area) -> frozenset[Tier]:
    """The tiers of ``area``'s granted mandates that ``user`` may read."""
    return readable_tiers(user, area, published=True)


def can_read_mandate(user: Any, mandate: Mandate) -> bool:
    if mandate.state in GRANTED_STATES:
        return can_read(user, mandate.area, mandate.tier, published=True)
    return can_see_vote(user, mandate.grant_vote)


def can_attach(user: Any, area: Area) -> bool:
    return is_officer(user, area)


def can_propose_revocation(user: Any, mandate: Mandate) -> bool:
    return is_officer(user, mandate.area)


def can_suspend(user: Any, mandate: Mandate) -> bool:
    return is_lmc_officer(user, mandate.area)


def can_record_commitment(user: Any, mandate: Mandate) -> bool:
    return mandate.holder_for(user) is not None
