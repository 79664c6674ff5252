"""Who may see, run and cast in a vote. Deny by default."""

from __future__ import annotations

from typing import Any

from portal.accounts.models import Role
from portal.organisations.models import Area, Organisation, OrganisationKind
from portal.organisations.permissions import is_group_member, is_officer
from portal.tiers import Tier, can_read
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


def in_tier_audience(user: Any, vote: Vote) -> bool:
    """A vote on a draft is read as that draft is: only its tier's audience sees the vote, its
    results, record and receipts (a vote that is not on a draft has no tier of its own)."""
    if vote.tier is None:
        return True
    return can_read(user, vote.area, Tier(vote.tier), published=False)


def can_see_vote(user: Any, vote: Vote) -> bool:
    """Members see a vote from its opening on; a draft, even a cancelled one, is officers'."""
    if vote.opened_at is None:
        return can_manage_votes(user, vote.area)
    return can_see_votes(user, vote.area) and in_tier_audience(user, vote)


def tier_admits_kinds(tier: str | None, voting_kinds: list[str]) -> bool:
    """Whether everyone who casts for these kinds of organisation may read a draft of
    ``tier``: an ``lmc``-tier draft may be put only to the LMC (its officers cast for it)."""
    if tier != Tier.LMC.value:
        return True
    return set(voting_kinds) <= {OrganisationKind.LMC.value}


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
    return vote.state is VoteState.CLOSED and can_see_vote(user, vote)


def can_download_record(user: Any, vote: Vote) -> bool:
    """Every member who sees the results may download the record the portal keeps in the
    clear: an open ballot's always, a secret ballot's only when the attacker found nobody in
    it (otherwise only its scrutineers hold it, sealed, see ``portal.voting.scrutiny``)."""
    return can_see_results(user, vote) and vote.ballot_record is not None


def can_see_who_voted_how(user: Any, vote: Vote) -> bool:
    return vote.secrecy is BallotSecrecy.OPEN and can_see_results(user, vote)
