"""What the officer is warned of while setting up a secret ballot: whose ballot its rules would
expose (``portal.voting.exposure``), in this area's electorate as it stands today.

Read-only, so the form and the check page before opening may ask it. The electorate and its
list sizes are chosen exactly as opening the vote will choose them; conflicts of interest not
yet ruled on are left aside, so the check errs towards naming an organisation too many.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from portal.organisations.models import Area
from portal.voting import exposure, services
from portal.voting import rules as counting
from portal.voting.models import BallotSecrecy, Vote


@dataclass(frozen=True)
class Named:
    ods_code: str
    name: str


@dataclass(frozen=True)
class Safer:
    label: str
    still_exposed: int


@dataclass(frozen=True)
class ExposureWarning:
    exposed: list[Named]
    safer: list[Safer]
    eligible: int


def _check(vote: Vote, area: Area) -> ExposureWarning | None:
    if vote.secrecy is not BallotSecrecy.SECRET:
        return None
    try:
        rules = counting.parse_rules(vote.rules, vote.kind.value)
    except counting.RecordError:
        return None  # the form refuses these rules on their own
    organisations = services.eligible_organisations(vote)
    sizes = services._list_sizes(area, organisations)
    members = []
    for organisation in organisations:
        weighted = sizes[organisation.id].weighted
        members.append(
            counting.Member(
                organisation.ods_code,
                organisation.kind.value,
                list_size=sizes[organisation.id].registered,
                weighted_list_size=None if weighted is None else Fraction(weighted),
            )
        )
    try:
        found = exposure.assess(members, rules)
    except counting.RecordError:
        return None  # opening refuses an electorate these rules cannot count, with a message
    if not found.exposed:
        return None
    names = {organisation.ods_code: organisation.name for organisation in organisations}
    return ExposureWarning(
        exposed=[Named(code, names[code]) for code in found.exposed],
        safer=[Safer(alt.label, len(alt.exposed)) for alt in found.alternatives],
        eligible=len(members),
    )


def for_vote(vote: Vote) -> ExposureWarning | None:
    """The warning for a draft vote as saved."""
    return _check(vote, vote.area)


def for_details(area: Area, details: services.VoteDetails) -> ExposureWarning | None:
    """The warning for a vote not yet saved (or being changed), from the form's details."""
    unsaved = Vote(
        area_id=area.id,
        kind=details.kind,
        secrecy=details.secrecy,
        rules=details.rules,
        voting_kinds=list(details.voting_kinds),
        pcn_codes=details.pcn_codes or None,
    )
    return _check(unsaved, area)
