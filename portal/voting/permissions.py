"""Who may see, run and cast in a vote. Deny by default."""

from __future__ import annotations

from typing import Any

from portal.accounts.models import Role
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.organisations.permissions import is_group_member, is_officer
from portal.voting.models import BallotSecrecy, Vote, VoteState

# The role that casts an organisation's ballot, by kind of organisation.
CASTING_ROLE = {
    OrganisationKind.PRACTICE: Role.GP_PARTNER,
    OrganisationKind.PCN: Role.PCN_CLINICAL_DIRECTOR,
    OrganisationKind.FEDERATION: Role.FEDERATION_DIRECTOR,
    OrganisationKind.LMC: Role.LMC_OFFICER,
}


def can_manage_votes(user: Any, area: Area) -> bool:
    return is_officer(user, area)


def can_see_votes(user: Any, area: Area) -> bool:
    # ICS readers see published statements, never the group's internal votes.
    return is_group_member(user, area)


def can_see_vote(user: Any, vote: Vote) -> bool:
    """Members see a vote from its opening on; a draft, even a cancelled one, is officers'."""
    if vote.opened_at is None:
        return can_manage_votes(user, vote.area)
    return can_see_votes(user, vote.area)


def can_cancel_vote(user: Any, vote: Vote) -> bool:
    return vote.state in (VoteState.DRAFT, VoteState.OPEN) and can_manage_votes(user, vote.area)


def casts_for(user: Any, organisation: Organisation) -> bool:
    """Whether ``user`` holds the role that casts ``organisation``'s own ballot."""
    if not getattr(user, "is_authenticated", False):
        return False
    role = CASTING_ROLE.get(organisation.kind)
    return any(
        membership.organisation_id == organisation.id and membership.role is role
        for membership in user.memberships
    )


def can_see_results(user: Any, vote: Vote) -> bool:
    return vote.state is VoteState.CLOSED and can_see_votes(user, vote.area)


def can_download_record(user: Any, vote: Vote) -> bool:
    """An open ballot's record is for every member; a secret one's for its officers only."""
    if not can_see_results(user, vote):
        return False
    return vote.secrecy is BallotSecrecy.OPEN or can_manage_votes(user, vote.area)


def can_see_who_voted_how(user: Any, vote: Vote) -> bool:
    return vote.secrecy is BallotSecrecy.OPEN and can_see_results(user, vote)
