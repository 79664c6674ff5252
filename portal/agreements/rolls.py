"""The roll of an agreement on a day: the practices in on it, by PCN, with each one's patients
and share of the cost (and what a practice's share would be were it to join), and the roll as
CSV. Nothing here writes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal import figures
from portal.agreements.models import Agreement, CostSharing, Signatory
from portal.extensions import db
from portal.organisations.models import Organisation, PcnMembership
from portal.spreadsheets import spreadsheet_safe


@dataclass(frozen=True)
class RollRow:
    signatory: Signatory
    practice: Organisation
    pcn: Organisation | None
    patients: int | None
    share: Fraction | None  # of the cost; None when a per-patient share cannot be worked out
    cost: Decimal | None  # of the yearly cost, when there is one


@dataclass(frozen=True)
class PcnGroup:
    pcn: Organisation | None
    rows: list[RollRow]

    @property
    def patients(self) -> int:
        return sum(row.patients or 0 for row in self.rows)


@dataclass(frozen=True)
class Roll:
    day: date
    rows: list[RollRow]

    @property
    def patients(self) -> int:
        return sum(row.patients or 0 for row in self.rows)

    @property
    def by_pcn(self) -> list[PcnGroup]:
        groups: dict[int | None, list[RollRow]] = {}
        for row in self.rows:
            groups.setdefault(row.pcn.id if row.pcn else None, []).append(row)
        return [PcnGroup(rows[0].pcn, rows) for rows in groups.values()]


def pcn_on(practice: Organisation, day: date) -> Organisation | None:
    """The PCN the practice belonged to on ``day`` (memberships are dated, ends inclusive)."""
    for membership in practice.pcn_memberships:
        if membership.valid_from <= day and (
            membership.valid_to is None or day <= membership.valid_to
        ):
            return membership.pcn
    return None


def _pence(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def roll_on(agreement: Agreement, day: date) -> Roll:
    """The practices in on ``day``, by PCN then name, with their share of the cost.

    Patients are each practice's latest published registered list size: the portal keeps the
    list size of the day it was published, not of every day.
    """
    # One query for the signatories in, one for their practices, one for their PCNs.
    members = list(
        db.session.execute(
            sa.select(Signatory)
            .where(
                Signatory.agreement_id == agreement.id,
                Signatory.joined_on <= day,
                sa.or_(Signatory.leaves_on.is_(None), Signatory.leaves_on > day),
            )
            .order_by(Signatory.id)
            .options(
                selectinload(Signatory.practice)
                .selectinload(Organisation.pcn_memberships)
                .joinedload(PcnMembership.pcn)
            )
        ).scalars()
    )
    sizes = [s.practice.list_size for s in members]
    known_total = sum(size for size in sizes if size is not None)
    rows = []
    for signatory in members:
        practice = signatory.practice
        share: Fraction | None
        if agreement.cost_sharing is CostSharing.EQUAL:
            share = Fraction(1, len(members))
        elif practice.list_size is None or not known_total:
            share = None
        else:
            share = Fraction(practice.list_size, known_total)
        cost = None
        if share is not None and agreement.annual_cost is not None:
            cost = _pence(agreement.annual_cost * share.numerator / share.denominator)
        rows.append(
            RollRow(signatory, practice, pcn_on(practice, day), practice.list_size, share, cost)
        )
    rows.sort(key=lambda r: ((r.pcn.name if r.pcn else "~"), r.practice.name))
    return Roll(day, rows)


def share_if_joined(agreement: Agreement, practice: Organisation, day: date) -> Fraction | None:
    """The practice's share of the cost were it to join on ``day``, for its check page."""
    rows = roll_on(agreement, day).rows
    if agreement.cost_sharing is CostSharing.EQUAL:
        return Fraction(1, len(rows) + 1)
    known = sum(row.patients or 0 for row in rows)
    if practice.list_size is None or not known + practice.list_size:
        return None
    return Fraction(practice.list_size, known + practice.list_size)


def percent(share: Fraction | None) -> str:
    if share is None:
        return "not known"
    return figures.percent(share)


CSV_HEADER = (
    "pcn_code",
    "pcn_name",
    "ods_code",
    "practice",
    "registered_patients",
    "share_percent",
    "yearly_cost_share",
    "joined_on",
    "leaves_on",
)


def roll_csv(roll: Roll) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in roll.rows:
        cells: Iterable[Any] = (
            row.pcn.ods_code if row.pcn else "",
            row.pcn.name if row.pcn else "",
            row.practice.ods_code,
            row.practice.name,
            row.patients if row.patients is not None else "",
            percent(row.share).removesuffix(" %") if row.share is not None else "",
            row.cost if row.cost is not None else "",
            row.signatory.joined_on.isoformat(),
            row.signatory.leaves_on.isoformat() if row.signatory.leaves_on else "",
        )
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()
