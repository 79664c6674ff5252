"""What an NHS import starts from: the files' list sizes by practice code, and what the areas
already hold, read in six queries however many areas there are, with the areas locked first.

The import reads and writes through the tables, not the ORM: all of England is some 27,000
rows, and the ORM's bulk statements and result rows handle each one again in Python, which
cost more than the database does. The tables are named here, for ``import_writer`` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, cast

import sqlalchemy as sa

from portal.extensions import db
from portal.organisations.models import (
    Area,
    ListSizeMeasure,
    ListSizeRecord,
    Organisation,
    OrganisationKind,
    PcnMembership,
)
from portal.organisations.nhs_files import ListSizeFile, PaymentsFile

PENCE = Decimal("0.01")
PRACTICE = OrganisationKind.PRACTICE
PCN = OrganisationKind.PCN
ORGANISATIONS = cast(sa.Table, Organisation.__table__)
MEMBERSHIPS = cast(sa.Table, PcnMembership.__table__)
LIST_SIZE_RECORDS = cast(sa.Table, ListSizeRecord.__table__)


def lock_area(slug: str) -> Area | None:
    """The area of that slug, or None; locked for the rest of the transaction."""
    # FOR UPDATE (PostgreSQL): two imports into one area run one after the other.
    return db.session.execute(
        sa.select(Area).where(Area.slug == slug).with_for_update()
    ).scalar_one_or_none()


def lock_icb_areas(icb_codes: Iterable[str]) -> dict[str | None, Area]:
    """Each ICB's area (made for that ICB alone, no sub-ICB) by ICB code, locked likewise."""
    # FOR UPDATE (PostgreSQL): two imports into one area run one after the other.
    return {
        area.icb_code: area
        for area in db.session.execute(
            sa.select(Area)
            .where(Area.icb_code.in_(sorted(icb_codes)), Area.sub_icb_code.is_(None))
            .order_by(Area.id.desc())  # the oldest such area wins
            .with_for_update()
        ).scalars()
    }


@dataclass(slots=True)
class Figures:
    """The list sizes of the totals and payments files by practice code, read once per run."""

    totals: ListSizeFile
    payments: PaymentsFile | None
    sizes: dict[str, int]
    weighted: dict[str, Decimal]

    @classmethod
    def of(cls, totals: ListSizeFile, payments: PaymentsFile | None) -> Figures:
        return cls(
            totals=totals,
            payments=payments,
            sizes={row.practice_code: row.patients for row in totals.rows},
            weighted=(
                {
                    row.practice_code: row.weighted_patients.quantize(PENCE, ROUND_HALF_UP)
                    for row in payments.rows
                }
                if payments is not None
                else {}
            ),
        )


@dataclass(slots=True)
class Existing:
    """An organisation of the area as it stands before the import."""

    id: int
    kind: OrganisationKind
    code: str
    name: str
    postcode: str | None
    list_size: int | None
    list_size_date: date | None
    weighted_list_size: Decimal | None
    weighted_list_size_date: date | None
    closed_on: date | None


class OpenMembership(NamedTuple):
    id: int
    practice_id: int
    pcn_id: int
    valid_from: date


@dataclass(slots=True)
class Holdings:
    """What one area holds before the import, as far as the import needs to know."""

    # Its practices and PCNs.
    organisations: list[Existing] = field(default_factory=list)
    open_memberships: list[OpenMembership] = field(default_factory=list)
    # The organisations holding a list size record of the files' (measure, date), by the pair.
    records: dict[tuple[ListSizeMeasure, date], set[int]] = field(default_factory=dict)
    # The latest date it holds: a membership's valid_from or valid_to, an organisation's
    # closed_on (any organisation of the area, any membership of its practices).
    latest: date | None = None


def read_holdings(area_ids: list[int], figures: Figures) -> dict[int, Holdings]:
    """What the areas hold, in six queries however many areas there are."""
    session = db.session
    held = {area_id: Holdings() for area_id in area_ids}
    o, m, r = ORGANISATIONS.c, MEMBERSHIPS.c, LIST_SIZE_RECORDS.c
    in_areas = o.area_id.in_(area_ids)

    def later(area_id: int, *values: date | None) -> None:
        holding = held[area_id]
        for value in values:
            if value is not None and (holding.latest is None or value > holding.latest):
                holding.latest = value

    for area_id, closed_on in session.execute(
        sa.select(o.area_id, sa.func.max(o.closed_on)).where(in_areas).group_by(o.area_id)
    ):
        later(area_id, closed_on)
    # Each practice's latest dates first: joined the other way round, SQLite would scan every
    # membership once for each organisation (no index leads from a practice to its history).
    per_practice = (
        sa.select(
            m.practice_id,
            sa.func.max(m.valid_from).label("valid_from"),
            sa.func.max(m.valid_to).label("valid_to"),
        )
        .where(m.practice_id.in_(sa.select(o.id).where(in_areas)))
        .group_by(m.practice_id)
        .subquery()
    )
    for area_id, valid_from, valid_to in session.execute(
        sa.select(
            o.area_id,
            sa.func.max(per_practice.c.valid_from),
            sa.func.max(per_practice.c.valid_to),
        )
        .join(per_practice, per_practice.c.practice_id == o.id)
        .group_by(o.area_id)
    ):
        later(area_id, valid_from, valid_to)
    # Each result is fetched whole (one call into the driver, not one per row).
    for area_id, *organisation in session.execute(
        sa.select(
            o.area_id,
            o.id,
            o.kind,
            o.ods_code,
            o.name,
            o.postcode,
            o.list_size,
            o.list_size_date,
            o.weighted_list_size,
            o.weighted_list_size_date,
            o.closed_on,
        ).where(in_areas, o.kind.in_([PRACTICE, PCN]))
    ).all():
        held[area_id].organisations.append(Existing(*organisation))
    for area_id, *membership in session.execute(
        sa.select(o.area_id, m.id, m.practice_id, m.pcn_id, m.valid_from)
        .join(ORGANISATIONS, m.practice_id == o.id)
        .where(in_areas, m.valid_to.is_(None))
    ).all():
        held[area_id].open_memberships.append(OpenMembership(*membership))
    wanted = [(ListSizeMeasure.REGISTERED, figures.totals.extract_date)]
    if figures.payments is not None:
        wanted.append((ListSizeMeasure.WEIGHTED, figures.payments.as_of))
    # One query per (measure, date), so each row is two integers to read.
    for measure, as_of in wanted:
        holders: dict[int, set[int]] = {area_id: set() for area_id in held}
        for area_id, organisation_id in session.execute(
            sa.select(o.area_id, r.organisation_id)
            .join(ORGANISATIONS, r.organisation_id == o.id)
            .where(in_areas, r.measure == measure, r.as_of == as_of)
        ).all():
            holders[area_id].add(organisation_id)
        for area_id, holding in held.items():
            holding.records[(measure, as_of)] = holders[area_id]
    return held
