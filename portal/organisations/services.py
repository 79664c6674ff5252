"""Read-only queries behind the area, practice, PCN and organisation pages."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from portal.extensions import db
from portal.organisations.models import (
    Area,
    ListSizeMeasure,
    ListSizeRecord,
    Organisation,
    OrganisationKind,
    PcnMembership,
)

SEARCH_MAX_LENGTH = 100


class PracticeOrder(enum.Enum):
    """How the practice table is sorted; the value is what the ``sort`` query parameter holds."""

    NAME = "name"
    NAME_DESCENDING = "name-desc"
    LIST_SIZE = "list-size"
    LIST_SIZE_DESCENDING = "list-size-desc"

    @property
    def label(self) -> str:
        return {
            "name": "Name, A to Z",
            "name-desc": "Name, Z to A",
            "list-size": "Registered patients, fewest first",
            "list-size-desc": "Registered patients, most first",
        }[self.value]

    @classmethod
    def from_parameter(cls, value: str | None) -> PracticeOrder:
        try:
            return cls(value)
        except ValueError:
            return cls.NAME


@dataclass(frozen=True, slots=True)
class PracticeRow:
    ods_code: str
    name: str
    list_size: int | None
    list_size_date: date | None
    weighted_list_size: Decimal | None
    weighted_list_size_date: date | None
    pcn_code: str | None
    pcn_name: str | None


@dataclass(frozen=True, slots=True)
class SnapshotDates:
    """How many practices' list sizes come from each publication date."""

    registered: dict[date, int] = field(default_factory=dict)
    weighted: dict[date, int] = field(default_factory=dict)

    @property
    def registered_count(self) -> int:
        return sum(self.registered.values())

    @property
    def weighted_count(self) -> int:
        return sum(self.weighted.values())

    @classmethod
    def of_counts(cls, counts: Iterable[tuple[date | None, date | None, int]]) -> SnapshotDates:
        """From (registered date, weighted date, number of practices) triples."""
        registered: Counter[date] = Counter()
        weighted: Counter[date] = Counter()
        for registered_date, weighted_date, count in counts:
            if registered_date is not None:
                registered[registered_date] += count
            if weighted_date is not None:
                weighted[weighted_date] += count
        return cls(dict(sorted(registered.items())), dict(sorted(weighted.items())))

    @classmethod
    def of_practices(cls, rows: Iterable[PracticeRow]) -> SnapshotDates:
        return cls.of_counts((row.list_size_date, row.weighted_list_size_date, 1) for row in rows)


@dataclass(frozen=True, slots=True)
class AreaSummary:
    open_practices: int
    open_pcns: int
    registered_patients: int | None
    weighted_patients: Decimal | None
    snapshot_dates: SnapshotDates


@dataclass(frozen=True, slots=True)
class PcnSummary:
    ods_code: str
    name: str
    practice_count: int
    registered_patients: int | None


def _open_in_area(area: Area, kind: OrganisationKind) -> list[sa.ColumnElement[bool]]:
    return [
        Organisation.area_id == area.id,
        Organisation.kind == kind,
        Organisation.closed_on.is_(None),
    ]


def area_summary(area: Area) -> AreaSummary:
    practice_totals = db.session.execute(
        sa.select(
            sa.func.count(Organisation.id),
            sa.func.sum(Organisation.list_size),
            sa.func.sum(Organisation.weighted_list_size),
        ).where(*_open_in_area(area, OrganisationKind.PRACTICE))
    ).one()
    pcn_count = db.session.scalar(
        sa.select(sa.func.count(Organisation.id)).where(*_open_in_area(area, OrganisationKind.PCN))
    )
    date_counts = db.session.execute(
        sa.select(
            Organisation.list_size_date,
            Organisation.weighted_list_size_date,
            sa.func.count(Organisation.id),
        )
        .where(*_open_in_area(area, OrganisationKind.PRACTICE))
        .group_by(Organisation.list_size_date, Organisation.weighted_list_size_date)
    )
    count, registered, weighted = practice_totals
    return AreaSummary(
        open_practices=count,
        open_pcns=pcn_count or 0,
        registered_patients=int(registered) if registered is not None else None,
        weighted_patients=Decimal(weighted) if weighted is not None else None,
        snapshot_dates=SnapshotDates.of_counts(date_counts),
    )


def memberships_in_area(user: Any, area: Area) -> list[Any]:
    """The signed-in user's own memberships in ``area``, by organisation name. They are read
    through ``user.memberships``: accounts stores them, above this domain, so it is not
    imported here."""
    return sorted(
        (
            membership
            for membership in user.memberships
            if membership.organisation.area_id == area.id
        ),
        key=lambda membership: (membership.organisation.name, membership.id),
    )


def areas_of(user: Any) -> list[Area]:
    """The areas ``user`` belongs to through any organisation, by name."""
    return sorted(
        {membership.organisation.area for membership in user.memberships},
        key=lambda area: (area.name, area.slug),
    )


def area_count(user: Any) -> int:
    """How many areas ``user`` belongs to, through any organisation."""
    return len({membership.organisation.area_id for membership in user.memberships})


def other_organisations(area: Area) -> list[Organisation]:
    """The area's open federation, LMC and ICS: everything that is neither practice nor PCN."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                Organisation.area_id == area.id,
                Organisation.kind.not_in([OrganisationKind.PRACTICE, OrganisationKind.PCN]),
                Organisation.closed_on.is_(None),
            )
            .order_by(Organisation.kind, Organisation.name)
        )
    )


def open_practices(
    area: Area,
    search: str | None = None,
    pcn_code: str | None = None,
    order: PracticeOrder = PracticeOrder.NAME,
) -> list[PracticeRow]:
    """Open practices with their current PCN, in one query (an area may hold thousands)."""
    pcn = aliased(Organisation, name="pcn")
    query = (
        sa.select(
            Organisation.ods_code,
            Organisation.name,
            Organisation.list_size,
            Organisation.list_size_date,
            Organisation.weighted_list_size,
            Organisation.weighted_list_size_date,
            pcn.ods_code,
            pcn.name,
        )
        .outerjoin(
            PcnMembership,
            sa.and_(PcnMembership.practice_id == Organisation.id, PcnMembership.valid_to.is_(None)),
        )
        .outerjoin(pcn, pcn.id == PcnMembership.pcn_id)
        .where(*_open_in_area(area, OrganisationKind.PRACTICE))
    )
    if search:
        search = search[:SEARCH_MAX_LENGTH]
        query = query.where(
            sa.or_(
                Organisation.name.icontains(search, autoescape=True),
                Organisation.ods_code.istartswith(search, autoescape=True),
            )
        )
    if pcn_code:
        query = query.where(pcn.ods_code == pcn_code.upper())
    query = query.order_by(*_practice_ordering(order))
    return [PracticeRow(*row) for row in db.session.execute(query)]


def _practice_ordering(order: PracticeOrder) -> list[sa.UnaryExpression[object]]:
    name = sa.func.lower(Organisation.name)
    return {
        PracticeOrder.NAME: [name.asc(), Organisation.ods_code.asc()],
        PracticeOrder.NAME_DESCENDING: [name.desc(), Organisation.ods_code.desc()],
        PracticeOrder.LIST_SIZE: [Organisation.list_size.asc().nulls_last(), name.asc()],
        PracticeOrder.LIST_SIZE_DESCENDING: [
            Organisation.list_size.desc().nulls_last(),
            name.asc(),
        ],
    }[order]


def open_pcns(area: Area) -> list[Organisation]:
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(*_open_in_area(area, OrganisationKind.PCN))
            .order_by(sa.func.lower(Organisation.name), Organisation.ods_code)
        )
    )


def pcn_summaries(area: Area) -> list[PcnSummary]:
    """Open PCNs with how many open practices currently belong to each and their patients."""
    practice = aliased(Organisation, name="practice")
    membership_and_open_practice = (
        sa.select(PcnMembership.pcn_id, practice.list_size)
        .join(practice, practice.id == PcnMembership.practice_id)
        .where(PcnMembership.valid_to.is_(None), practice.closed_on.is_(None))
        .subquery()
    )
    query = (
        sa.select(
            Organisation.ods_code,
            Organisation.name,
            sa.func.count(membership_and_open_practice.c.pcn_id),
            sa.func.sum(membership_and_open_practice.c.list_size),
        )
        .outerjoin(
            membership_and_open_practice,
            membership_and_open_practice.c.pcn_id == Organisation.id,
        )
        .where(*_open_in_area(area, OrganisationKind.PCN))
        .group_by(Organisation.id, Organisation.ods_code, Organisation.name)
        .order_by(sa.func.lower(Organisation.name), Organisation.ods_code)
    )
    return [
        PcnSummary(
            ods_code=code,
            name=name,
            practice_count=count,
            registered_patients=int(total) if total is not None else None,
        )
        for code, name, count, total in db.session.execute(query)
    ]


def organisation_in_area(area: Area, ods_code: str) -> Organisation | None:
    # ODS codes are unique across kinds in practice; the lowest id wins if an import ever clashed.
    return db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.area_id == area.id, Organisation.ods_code == ods_code.upper())
        .order_by(Organisation.id)
        .limit(1)
    ).first()


def pcn_history(practice: Organisation) -> list[PcnMembership]:
    """Every PCN the practice has belonged to, latest first."""
    return list(
        db.session.scalars(
            sa.select(PcnMembership)
            .where(PcnMembership.practice_id == practice.id)
            .options(joinedload(PcnMembership.pcn))
            .order_by(PcnMembership.valid_from.desc(), PcnMembership.id.desc())
        )
    )


def current_pcn(practice: Organisation) -> Organisation | None:
    return db.session.scalars(
        sa.select(Organisation)
        .join(PcnMembership, PcnMembership.pcn_id == Organisation.id)
        .where(PcnMembership.practice_id == practice.id, PcnMembership.valid_to.is_(None))
    ).first()


def list_size_history(organisation: Organisation) -> list[ListSizeRecord]:
    """Every imported list size, latest first, registered before weighted on the same date."""
    measure_order = sa.case((ListSizeRecord.measure == ListSizeMeasure.REGISTERED, 0), else_=1)
    return list(
        db.session.scalars(
            sa.select(ListSizeRecord)
            .where(ListSizeRecord.organisation_id == organisation.id)
            .order_by(ListSizeRecord.as_of.desc(), measure_order)
        )
    )


def pcn_member_practices(pcn: Organisation) -> list[Organisation]:
    """The open practices currently in ``pcn``, by name."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .join(PcnMembership, PcnMembership.practice_id == Organisation.id)
            .where(
                PcnMembership.pcn_id == pcn.id,
                PcnMembership.valid_to.is_(None),
                Organisation.closed_on.is_(None),
            )
            .order_by(sa.func.lower(Organisation.name), Organisation.ods_code)
        )
    )


def total_list_size(practices: Iterable[Organisation]) -> int | None:
    """Sum of known registered list sizes; ``None`` when none is known."""
    sizes = [practice.list_size for practice in practices if practice.list_size is not None]
    return sum(sizes) if sizes else None


def total_weighted_list_size(practices: Iterable[Organisation]) -> Decimal | None:
    sizes = [p.weighted_list_size for p in practices if p.weighted_list_size is not None]
    return sum(sizes, Decimal(0)) if sizes else None
