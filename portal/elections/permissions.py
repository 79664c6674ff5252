"""Who may see, run, stand and vote in an election. Deny by default.

Elections are the leadership group's business (the ``group`` tier): ICS readers and people
outside the area see none of them (404). Officers (LMC officers and area admins) set them up,
move their dates, close nominations and start the count. Only an elector, or someone who casts
an elector organisation's ballot, may nominate, second and vote. A secret election's named
scrutineers (any active members of the area) alone open its sealed ballots file.
"""

from __future__ import annotations

from typing import Any

from portal.accounts.models import Role
from portal.elections.models import Election, ElectionState
from portal.organisations.models import Area, OrganisationKind
from portal.organisations.permissions import is_group_member, is_officer

# The role that acts for an organisation in an election of organisations, by its kind.
CASTING_ROLE = {
    OrganisationKind.PRACTICE: Role.GP_PARTNER,
    OrganisationKind.PCN: Role.PCN_CLINICAL_DIRECTOR,
    OrganisationKind.FEDERATION: Role.FEDERATION_DIRECTOR,
    OrganisationKind.LMC: Role.LMC_OFFICER,
}
DECIDED = (ElectionState.COUNTED, ElectionState.UNOPPOSED, ElectionState.NO_CANDIDATES)


def can_see_elections(user: Any, area: Area) -> bool:
    return is_group_member(user, area)


def can_manage_elections(user: Any, area: Area) -> bool:
    return is_officer(user, area)


def can_see_results(user: Any, election: Election) -> bool:
    return election.state in DECIDED and can_see_elections(user, election.area)


def can_download_ballots(user: Any, election: Election) -> bool:
    """The BLT file of a counted open election, for every member who sees its result. A secret
    election's file is not downloaded here by anyone, officers included: it is kept only
    sealed, and only its scrutineers open it, each with their passphrase, on their own page
    (``portal.elections.scrutiny``)."""
    return (
        not election.secret
        and election.state is ElectionState.COUNTED
        and can_see_results(user, election)
    )
