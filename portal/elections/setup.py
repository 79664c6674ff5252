"""Setting up an election: its timetable, its seats, how it counts, and its electorate, frozen
when it is set up (people of chosen roles, or organisations of chosen kinds weighted equally,
by list size or by band, from the whole area or the practices of chosen PCNs).

Services take domain objects, the acting user and plain data; they flush but never commit
and write the audit entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from portal.accounts.models import Membership, Role, User
from portal.audit.services import record
from portal.elections import scrutiny
from portal.elections.models import CountingMethod, Election, Elector, ElectorateKind
from portal.elections.timetable import Timetable, check_timetable
from portal.errors import DomainError
from portal.extensions import db
from portal.names import display_name
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership
from portal.voting.scrutiny import find_scrutineers


@dataclass(frozen=True)
class ElectionDetails:
    title: str
    seats: int
    method: CountingMethod
    electorate_kind: ElectorateKind
    roles: list[Role]  # people: who votes
    kinds: list[OrganisationKind]  # organisations: which kinds vote
    weighting: str  # organisations: "equal", "list_size" or "band"
    band: int | None
    pcn_codes: list[str]  # the constituency: practices of these PCNs (empty: the whole area)
    secret: bool
    nominations_close_at: datetime
    voting_opens_at: datetime
    voting_closes_at: datetime
    # A secret election's scrutineers: email addresses, any separator (none: no scrutineer).
    scrutineers: str = ""

    @property
    def timetable(self) -> Timetable:
        return Timetable(self.nominations_close_at, self.voting_opens_at, self.voting_closes_at)


def _practices_in_pcns(area: Area, pcn_codes: list[str]) -> set[int] | None:
    if not pcn_codes:
        return None
    return set(
        db.session.execute(
            sa.select(PcnMembership.practice_id)
            .join(Organisation, Organisation.id == PcnMembership.pcn_id)
            .where(
                Organisation.area_id == area.id,
                PcnMembership.valid_to.is_(None),
                Organisation.ods_code.in_(pcn_codes),
            )
        ).scalars()
    )


def _organisation_weight(organisation: Organisation, details: ElectionDetails) -> int:
    if details.weighting == "equal":
        return 1
    size = organisation.list_size
    if size is None:
        raise DomainError(
            f"{display_name(organisation.name)} has no list size, "
            "so it cannot be weighted by list size"
        )
    if details.weighting == "band":
        return max(1, math.ceil(size / (details.band or 1)))
    return max(1, size)


def _electorate(area: Area, details: ElectionDetails) -> list[Elector]:
    constituency = _practices_in_pcns(area, details.pcn_codes)
    if details.electorate_kind is ElectorateKind.PEOPLE:
        memberships = db.session.execute(
            sa.select(Membership)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(
                Organisation.area_id == area.id,
                Organisation.kind == OrganisationKind.PRACTICE,
                Organisation.closed_on.is_(None),
                Membership.role.in_(details.roles),
            )
        ).scalars()
        people: dict[int, User] = {}
        for membership in memberships:
            in_constituency = constituency is None or membership.organisation_id in constituency
            if in_constituency and membership.user.active:
                people[membership.user_id] = membership.user
        return [Elector(user=user, label=user.name, weight=1) for user in people.values()]
    organisations = db.session.execute(
        sa.select(Organisation).where(
            Organisation.area_id == area.id,
            Organisation.kind.in_(details.kinds),
            Organisation.closed_on.is_(None),
        )
    ).scalars()
    return [
        Elector(
            organisation=organisation,
            # How pages, emails and the count sheet name it; the organisation keeps the
            # published name the imports match on.
            label=display_name(organisation.name),
            weight=_organisation_weight(organisation, details),
        )
        for organisation in organisations
        if constituency is None
        or organisation.kind is not OrganisationKind.PRACTICE
        or organisation.id in constituency
    ]


def _describe(details: ElectionDetails) -> str:
    where = f" of practices in PCNs {', '.join(details.pcn_codes)}" if details.pcn_codes else ""
    if details.electorate_kind is ElectorateKind.PEOPLE:
        roles = " and ".join(f"{role.label}s" for role in details.roles)
        return f"{roles}{where}, one vote each"
    kinds = ", ".join(kind.label for kind in details.kinds)
    weights = {
        "equal": "one vote each",
        "list_size": "weighted by registered list size",
        "band": f"one vote per {details.band or 1:,} registered patients or part",
    }[details.weighting]
    return f"{kinds}{where}, {weights}"


def create_election(actor: User, area: Area, details: ElectionDetails, now: datetime) -> Election:
    check_timetable(details.timetable, now)
    electors = _electorate(area, details)
    if not electors:
        raise DomainError("Nobody is in this electorate: choose other roles, kinds or PCNs")
    scrutineers = find_scrutineers(area, details.scrutineers)
    election = Election(
        area=area,
        title=details.title,
        seats=details.seats,
        method=details.method,
        electorate_kind=details.electorate_kind,
        electorate_description=_describe(details)[:500],
        secret=details.secret,
        nominations_open_at=now,
        nominations_close_at=details.nominations_close_at,
        voting_opens_at=details.voting_opens_at,
        voting_closes_at=details.voting_closes_at,
        created_by_id=actor.id,
        electors=electors,
    )
    db.session.add(election)
    db.session.flush()
    record(
        "election.created",
        f"Election “{election.title}” set up: {election.seats} seat(s), {len(electors)} elector(s)",
        actor=actor,
        area=area,
        subject=election,
        details={"method": details.method.value, "secret": details.secret},
    )
    if scrutineers:
        scrutiny.appoint(actor, election, scrutineers)
    return election
