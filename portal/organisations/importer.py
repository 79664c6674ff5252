"""Importing the NHS files into an area: practices, PCNs, list sizes and dated PCN membership.

``import_nhs`` reads and checks every file first; any fault raises before a single row is
written. It then reads what the area holds in five queries (for all 42 ICBs' areas at once with
``import_all_icbs``), compares in Python, and writes only what changed in a handful of bulk
statements through the tables (all of England is 6,171 practices and 1,298 PCNs), and flushes;
the caller commits (the CLI command commits once) or rolls back on any exception.

The rules, with ``D`` the extract date of the mapping file:

* An area covers one ICB (``icb``), one sub-ICB location (``sub_icb``) or, with neither, all of
  England. A new area takes its name from the ICB (or sub-ICB) name in the mapping file, or
  "England"; an existing area keeps its codes, which later imports may leave out but not change.
* Practices (kind ``practice``) and PCNs (kind ``pcn``) are keyed by (area, kind, ODS code); name
  and postcode follow the latest file.
* Membership is dated: a new practice gets an open membership from ``D``. A practice that moved
  has its open row closed on ``D`` minus one day (or on its own ``valid_from`` when that is ``D``,
  so that ``valid_to >= valid_from`` holds) and a new one opened from ``D``. A practice whose
  ``PCN_CODE`` is ``U`` (unallocated) has no open membership.
* A practice of the area missing from the mapping file has closed or merged: ``closed_on = D``
  and its open membership is closed as above. A PCN left with no practice in the file is closed
  the same way. Either is reopened (``closed_on`` cleared) if it reappears in a later file.
* A mapping file older than what the area already holds (latest ``valid_from``, ``valid_to`` or
  ``closed_on``) is refused: history only moves forward. The same date again is allowed.
* List sizes: the registered list size (totals file) and the weighted list size (payments file,
  as of the end of its financial year) become the current figures unless the organisation already
  holds a figure of a later date; each figure is also kept as a ``ListSizeRecord`` (measure, as-of
  date, value, source file name), added only when the organisation has none for that measure and
  date, so history is never rewritten.
* One audit entry ``organisations.nhs_import`` is written when, and only when, something changed;
  a second run of the same files changes nothing and reports "No changes".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple, cast

import sqlalchemy as sa

from portal.audit.services import Actor, record
from portal.errors import DomainError
from portal.extensions import db
from portal.organisations.import_report import (
    ImportReport,
    OrganisationRef,
    PracticeMove,
    SizeChange,
)
from portal.organisations.models import (
    Area,
    ListSizeMeasure,
    ListSizeRecord,
    Organisation,
    OrganisationKind,
    PcnMembership,
)
from portal.organisations.nhs_files import (
    AREA_CODE,
    ListSizeFile,
    MappingFile,
    MappingRow,
    PaymentsFile,
    read_list_sizes,
    read_mapping,
    read_payments,
)

AUDIT_ACTION = "organisations.nhs_import"
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
PENCE = Decimal("0.01")
PRACTICE = OrganisationKind.PRACTICE
PCN = OrganisationKind.PCN
# The import reads and writes through the tables, not the ORM: all of England is some 27,000
# rows, and the ORM's bulk statements and result rows handle each one again in Python, which
# cost more than the database does.
ORGANISATIONS = cast(sa.Table, Organisation.__table__)
MEMBERSHIPS = cast(sa.Table, PcnMembership.__table__)
LIST_SIZE_RECORDS = cast(sa.Table, ListSizeRecord.__table__)


class NhsImportError(DomainError):
    """The files are sound but cannot go into this area (wrong ICB, older than the area...)."""


# --- the import -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Figures:
    """The list sizes of the totals and payments files by practice code, read once per run."""

    totals: ListSizeFile
    payments: PaymentsFile | None
    sizes: dict[str, int]
    weighted: dict[str, Decimal]

    @classmethod
    def of(cls, totals: ListSizeFile, payments: PaymentsFile | None) -> _Figures:
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
class _Existing:
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


def import_nhs(
    area_slug: str,
    mapping_path: str | Path,
    list_sizes_path: str | Path,
    payments_path: str | Path | None = None,
    icb: str | None = None,
    sub_icb: str | None = None,
    area_name: str | None = None,
    actor: Actor | None = None,
    *,
    payments_as_of: date | None = None,
) -> ImportReport:
    """Bring area ``area_slug`` in line with the NHS files; flush, never commit.

    ``payments_as_of`` overrides the payments file's date (by default the last day of the
    financial year in its name). Raises ``NhsFileError`` for a faulty file and
    ``NhsImportError`` when the files cannot go into the area; nothing is written then.
    """
    slug = area_slug.strip()
    if not SLUG.fullmatch(slug):
        raise NhsImportError(
            f"area {area_slug!r}: use lower-case letters, digits and hyphens (at most 64)"
        )
    icb = _code(icb, "ICB")
    sub_icb = _code(sub_icb, "sub-ICB")
    area_name = " ".join(area_name.split()) if area_name else None
    if area_name is not None and not 0 < len(area_name) <= 200:
        raise NhsImportError("the area name must have 1 to 200 characters")

    # Every file is read and checked before anything is written.
    mapping = read_mapping(mapping_path)
    totals = read_list_sizes(list_sizes_path)
    payments = (
        read_payments(payments_path, as_of=payments_as_of) if payments_path is not None else None
    )
    db.session.flush()
    # FOR UPDATE (PostgreSQL): two imports into one area run one after the other.
    area = db.session.execute(
        sa.select(Area).where(Area.slug == slug).with_for_update()
    ).scalar_one_or_none()
    figures = _Figures.of(totals, payments)
    holdings = _holdings([area.id], figures) if area is not None else {}
    report = _import_into_area(
        slug, area, holdings, mapping, mapping.rows, figures, icb, sub_icb, area_name, actor
    )
    # Bulk statements bypass the identity map: let loaded objects read the new state.
    db.session.expire_all()
    return report


def import_all_icbs(
    mapping_path: str | Path,
    list_sizes_path: str | Path,
    payments_path: str | Path | None = None,
    actor: Any = None,
    *,
    payments_as_of: date | None = None,
) -> list[ImportReport]:
    """One area per ICB in the mapping file, created or brought in line; flush, never commit.

    The files are read and checked once. An ICB's area is the area already made for that ICB
    alone (``icb_code`` set, no sub-ICB), whatever its slug, so a hand-named area such as the
    demo's is updated rather than duplicated; otherwise a new area takes a slug made from the
    ICB's name ("NHS Devon Integrated Care Board" -> ``devon``). Each area gets its own report
    and audit entry, exactly as ``import_nhs`` into that ICB would.
    """
    mapping = read_mapping(mapping_path)
    totals = read_list_sizes(list_sizes_path)
    payments = (
        read_payments(payments_path, as_of=payments_as_of) if payments_path is not None else None
    )
    by_icb: dict[str, list[MappingRow]] = {}
    for row in mapping.rows:
        by_icb.setdefault(row.icb_code, []).append(row)
    db.session.flush()
    # FOR UPDATE (PostgreSQL): two imports into one area run one after the other.
    existing = {
        area.icb_code: area
        for area in db.session.execute(
            sa.select(Area)
            .where(Area.icb_code.in_(sorted(by_icb)), Area.sub_icb_code.is_(None))
            .order_by(Area.id.desc())  # the oldest such area wins
            .with_for_update()
        ).scalars()
    }
    taken = set(db.session.execute(sa.select(Area.slug)).scalars())
    figures = _Figures.of(totals, payments)
    # What every existing area holds, read at once: each area's import touches only its own.
    holdings = _holdings([area.id for area in existing.values()], figures) if existing else {}
    reports = []
    for code in sorted(by_icb):
        rows = by_icb[code]
        area = existing.get(code)
        if area is None:
            slug = _free_slug(icb_slug(rows[0].icb_name, code), taken)
            taken.add(slug)
        else:
            slug = area.slug
        reports.append(
            _import_into_area(slug, area, holdings, mapping, rows, figures, code, None, None, actor)
        )
    # Bulk statements bypass the identity map: let loaded objects read the new state.
    db.session.expire_all()
    return reports


def icb_slug(icb_name: str, icb_code: str) -> str:
    """A short slug from an ICB's published name, or its code when the name gives none."""
    name = re.sub(r"^NHS\s+", "", icb_name.strip(), flags=re.IGNORECASE)
    name = re.sub(r"\s*Integrated Care Board$", "", name, flags=re.IGNORECASE)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return slug or icb_code.lower()


def _free_slug(slug: str, taken: set[str]) -> str:
    if slug not in taken:
        return slug
    number = 2
    while f"{slug[:60]}-{number}" in taken:
        number += 1
    return f"{slug[:60]}-{number}"


def _import_into_area(
    slug: str,
    area: Area | None,
    holdings: dict[int, _Holdings],
    mapping: MappingFile,
    candidates: Sequence[MappingRow],
    figures: _Figures,
    icb: str | None,
    sub_icb: str | None,
    area_name: str | None,
    actor: Any,
) -> ImportReport:
    """The writing half of an import into one area, from files already read and checked.

    ``area`` is the area of that slug, already locked, or None to create it; ``holdings`` what
    the existing areas held before the import (``_holdings``). ``candidates`` are the mapping
    rows that may belong to the area (all of them, or one ICB's when the caller has grouped them
    already); the area's scope narrows them further.
    """
    session = db.session
    if area is not None:
        icb, sub_icb = _scope_of_existing_area(area, icb, sub_icb)
    rows = [
        row
        for row in candidates
        if (icb is None or row.icb_code == icb) and (sub_icb is None or row.sub_icb_code == sub_icb)
    ]
    scope = _describe_scope(icb, sub_icb)
    if not rows:
        raise NhsImportError(f"{mapping.file_name} has no practice in {scope}")

    totals, payments = figures.totals, figures.payments
    report = ImportReport(
        area_slug=slug,
        area_name="",
        scope=scope,
        mapping_file=mapping.file_name,
        mapping_date=mapping.extract_date,
        list_sizes_file=totals.file_name,
        list_size_date=totals.extract_date,
        payments_file=payments.file_name if payments else None,
        weighted_date=payments.as_of if payments else None,
    )
    if area is None:
        area = _create_area(slug, area_name, icb, sub_icb, rows)
        report.area_created = True
        held = _Holdings()
    else:
        held = holdings.get(area.id) or _Holdings()
        _check_not_older(area, held, mapping)
        if area_name is not None and area_name != area.name:
            area.name = area_name
            report.area_updated = True
        if (area.icb_code, area.sub_icb_code) != (icb, sub_icb):
            area.icb_code, area.sub_icb_code = _area_codes(icb, sub_icb, rows)
            report.area_updated = True
        session.flush()
    report.area_name = area.name

    _Import(area, held, report, mapping, rows, figures).run()

    if report.changed:
        record(
            AUDIT_ACTION,
            report.summary(),
            actor=actor,
            area=area,
            subject=area,
            details=report.audit_details(),
        )
    session.flush()
    return report


def _code(value: str | None, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if not AREA_CODE.fullmatch(code):
        raise NhsImportError(f"{value!r} is not an {what} code")
    return code


def _describe_scope(icb: str | None, sub_icb: str | None) -> str:
    if sub_icb and icb:
        return f"ICB {icb}, sub-ICB {sub_icb}"
    if sub_icb:
        return f"sub-ICB {sub_icb}"
    if icb:
        return f"ICB {icb}"
    return "all of England"


def _scope_of_existing_area(
    area: Area, icb: str | None, sub_icb: str | None
) -> tuple[str | None, str | None]:
    """An area keeps the codes it was made with; a later import may leave them out."""
    stored = (area.icb_code, area.sub_icb_code)
    if icb is None and sub_icb is None:
        return stored
    if (icb is None or icb == stored[0]) and (sub_icb is None or sub_icb == stored[1]):
        return stored
    holds_practices = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Organisation)
        .where(Organisation.area_id == area.id, Organisation.kind.in_([PRACTICE, PCN]))
    ).scalar_one()
    if holds_practices:
        raise NhsImportError(
            f"area {area.slug} covers {_describe_scope(*stored)}, not "
            f"{_describe_scope(icb, sub_icb)}: import into another area"
        )
    # An area made by hand and still without practices takes the codes given.
    return icb, sub_icb


def _area_codes(
    icb: str | None, sub_icb: str | None, rows: list[MappingRow]
) -> tuple[str | None, str | None]:
    if icb is None and sub_icb is not None:
        icbs = {row.icb_code for row in rows}
        icb = icbs.pop() if len(icbs) == 1 else None
    return icb, sub_icb


def _create_area(
    slug: str, name: str | None, icb: str | None, sub_icb: str | None, rows: list[MappingRow]
) -> Area:
    if name is None:
        if sub_icb is not None:
            name = rows[0].sub_icb_name
        elif icb is not None:
            name = rows[0].icb_name
        else:
            name = "England"
    icb_code, sub_icb_code = _area_codes(icb, sub_icb, rows)
    area = Area(slug=slug, name=name, icb_code=icb_code, sub_icb_code=sub_icb_code)
    db.session.add(area)
    db.session.flush()
    return area


def _check_not_older(area: Area, held: _Holdings, mapping: MappingFile) -> None:
    if held.latest is not None and mapping.extract_date < held.latest:
        raise NhsImportError(
            f"{mapping.file_name} is an extract of {mapping.extract_date.isoformat()}, older than "
            f"what area {area.slug} already holds ({held.latest.isoformat()})"
        )


class _OpenMembership(NamedTuple):
    id: int
    practice_id: int
    pcn_id: int
    valid_from: date


@dataclass(slots=True)
class _Holdings:
    """What one area holds before the import, as far as the import needs to know."""

    # Its practices and PCNs.
    organisations: list[_Existing] = field(default_factory=list)
    open_memberships: list[_OpenMembership] = field(default_factory=list)
    # Its list size records of the files' dates: (organisation_id, measure, as_of).
    records: set[tuple[int, ListSizeMeasure, date]] = field(default_factory=set)
    # The latest date it holds: a membership's valid_from or valid_to, an organisation's
    # closed_on (any organisation of the area, any membership of its practices).
    latest: date | None = None


def _holdings(area_ids: list[int], figures: _Figures) -> dict[int, _Holdings]:
    """What the areas hold, in five queries however many areas there are."""
    session = db.session
    held = {area_id: _Holdings() for area_id in area_ids}
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
    for row in session.execute(
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
    ):
        held[row[0]].organisations.append(_Existing(*row[1:]))
    for area_id, *membership in session.execute(
        sa.select(o.area_id, m.id, m.practice_id, m.pcn_id, m.valid_from)
        .join(ORGANISATIONS, m.practice_id == o.id)
        .where(in_areas, m.valid_to.is_(None))
    ):
        held[area_id].open_memberships.append(_OpenMembership(*membership))
    dates = [figures.totals.extract_date]
    if figures.payments is not None:
        dates.append(figures.payments.as_of)
    for area_id, organisation_id, measure, as_of in session.execute(
        sa.select(o.area_id, r.organisation_id, r.measure, r.as_of)
        .join(ORGANISATIONS, r.organisation_id == o.id)
        .where(in_areas, r.as_of.in_(sorted(set(dates))))
    ):
        held[area_id].records.add((organisation_id, measure, as_of))
    return held


class _Import:
    """The writing half of ``import_nhs``: from what the area holds (``_Holdings``), compared in
    Python, bulk inserts and updates of only what changed."""

    def __init__(
        self,
        area: Area,
        held: _Holdings,
        report: ImportReport,
        mapping: MappingFile,
        rows: list[MappingRow],
        figures: _Figures,
    ) -> None:
        self.area = area
        self.held = held
        self.report = report
        self.day = mapping.extract_date
        self.rows = rows
        self.totals = figures.totals
        self.payments = figures.payments
        self.sizes = figures.sizes
        self.weighted = figures.weighted
        self.existing: dict[tuple[OrganisationKind, str], _Existing] = {}
        self.ids: dict[tuple[OrganisationKind, str], int] = {}
        self.updates: dict[int, dict[str, Any]] = {}
        self.new: list[dict[str, Any]] = []

    def run(self) -> None:
        self._load_organisations()
        self._pcns()
        self._practices()
        self._write_organisations()
        self._memberships()
        self._list_size_records()
        report = self.report
        report.practices = len(self.rows)
        report.pcns = len({row.pcn_code for row in self.rows if row.pcn_code})
        report.registered_patients = sum(self.sizes.get(row.practice_code, 0) for row in self.rows)
        for items in (
            report.new_practices,
            report.reopened_practices,
            report.closed_practices,
            report.moved_practices,
            report.new_pcns,
            report.reopened_pcns,
            report.closed_pcns,
            report.details_changed,
            report.list_size_changes,
            report.weighted_list_size_changes,
            report.without_list_size,
            report.without_weighted_list_size,
        ):
            items.sort(key=lambda item: item.code)

    # -- organisations --

    def _load_organisations(self) -> None:
        for existing in self.held.organisations:
            self.existing[(existing.kind, existing.code)] = existing
            self.ids[(existing.kind, existing.code)] = existing.id

    def _set(self, existing: _Existing, **values: Any) -> None:
        self.updates.setdefault(existing.id, {"id": existing.id}).update(values)

    def _upsert(self, kind: OrganisationKind, code: str, name: str, postcode: str | None) -> bool:
        """Insert or update one organisation's name, postcode and open state; True if new.

        The mapping file gives no PCN postcode: a PCN's postcode is left as it is.
        """
        existing = self.existing.get((kind, code))
        ref = OrganisationRef(code, name)
        report = self.report
        if existing is None:
            self.new.append(
                {
                    "area_id": self.area.id,
                    "kind": kind,
                    "ods_code": code,
                    "name": name,
                    "postcode": postcode,
                    "list_size": None,
                    "list_size_date": None,
                    "weighted_list_size": None,
                    "weighted_list_size_date": None,
                    "closed_on": None,
                }
            )
            (report.new_practices if kind is PRACTICE else report.new_pcns).append(ref)
            return True
        if kind is PCN:
            postcode = existing.postcode
        if existing.name != name or existing.postcode != postcode:
            self._set(existing, name=name, postcode=postcode)
            report.details_changed.append(ref)
        if existing.closed_on is not None:
            self._set(existing, closed_on=None)
            (report.reopened_practices if kind is PRACTICE else report.reopened_pcns).append(ref)
        return False

    def _close_missing(self, kind: OrganisationKind, present: set[str]) -> None:
        closed = self.report.closed_practices if kind is PRACTICE else self.report.closed_pcns
        for (existing_kind, code), existing in self.existing.items():
            if existing_kind is kind and code not in present and existing.closed_on is None:
                self._set(existing, closed_on=self.day)
                closed.append(OrganisationRef(code, existing.name))

    def _pcns(self) -> None:
        names: dict[str, str] = {}
        for row in self.rows:
            if row.pcn_code is not None:
                names.setdefault(row.pcn_code, row.pcn_name or row.pcn_code)
        for code, name in names.items():
            self._upsert(PCN, code, name, None)
        self._close_missing(PCN, set(names))

    def _practices(self) -> None:
        report = self.report
        for row in self.rows:
            code = row.practice_code
            is_new = self._upsert(PRACTICE, code, row.practice_name, row.postcode)
            values = self.new[-1] if is_new else None
            existing = None if is_new else self.existing[(PRACTICE, code)]
            ref = OrganisationRef(code, row.practice_name)

            size = self.sizes.get(code)
            if size is None:
                report.without_list_size.append(ref)
            elif values is not None:
                values.update(list_size=size, list_size_date=self.totals.extract_date)
            elif existing is not None and _is_current(
                existing.list_size_date, self.totals.extract_date
            ):
                if (existing.list_size, existing.list_size_date) != (
                    size,
                    self.totals.extract_date,
                ):
                    self._set(existing, list_size=size, list_size_date=self.totals.extract_date)
                if existing.list_size != size:
                    report.list_size_changes.append(
                        SizeChange(code, row.practice_name, existing.list_size, size)
                    )

            if self.payments is None:
                continue
            weighted = self.weighted.get(code)
            as_of = self.payments.as_of
            if weighted is None:
                report.without_weighted_list_size.append(ref)
            elif values is not None:
                values.update(weighted_list_size=weighted, weighted_list_size_date=as_of)
            elif existing is not None and _is_current(existing.weighted_list_size_date, as_of):
                if (existing.weighted_list_size, existing.weighted_list_size_date) != (
                    weighted,
                    as_of,
                ):
                    self._set(existing, weighted_list_size=weighted, weighted_list_size_date=as_of)
                if existing.weighted_list_size != weighted:
                    report.weighted_list_size_changes.append(
                        SizeChange(code, row.practice_name, existing.weighted_list_size, weighted)
                    )
        self._close_missing(PRACTICE, {row.practice_code for row in self.rows})

    def _write_organisations(self) -> None:
        session = db.session
        if self.updates:
            session.execute(sa.update(Organisation), list(self.updates.values()))
            self.report.organisations_updated = len(self.updates)
        if self.new:
            session.execute(sa.insert(ORGANISATIONS), self.new)
            # Read back the new ids (RETURNING over thousands of rows costs the driver more).
            o = ORGANISATIONS.c
            for row in session.execute(
                sa.select(o.id, o.kind, o.ods_code).where(
                    o.area_id == self.area.id, o.kind.in_([PRACTICE, PCN])
                )
            ):
                self.ids[(row.kind, row.ods_code)] = row.id

    # -- memberships --

    def _memberships(self) -> None:
        session = db.session
        m = MEMBERSHIPS.c
        open_rows = {row.practice_id: row for row in self.held.open_memberships}
        pcn_codes = {pcn_id: code for (kind, code), pcn_id in self.ids.items() if kind is PCN}
        new_codes = {ref.code for ref in self.report.new_practices}
        reopened = {ref.code for ref in self.report.reopened_practices}
        day_before = self.day - timedelta(days=1)
        closes: list[dict[str, Any]] = []
        opens: list[dict[str, Any]] = []

        def close(membership: Any) -> None:
            closes.append(
                {"closed_id": membership.id, "closed_on": max(day_before, membership.valid_from)}
            )

        for row in self.rows:
            practice_id = self.ids[(PRACTICE, row.practice_code)]
            pcn_id = self.ids[(PCN, row.pcn_code)] if row.pcn_code is not None else None
            current = open_rows.pop(practice_id, None)
            current_pcn = current.pcn_id if current is not None else None
            if current_pcn == pcn_id:
                continue
            if current is not None:
                close(current)
            if pcn_id is not None:
                opens.append(
                    {
                        "practice_id": practice_id,
                        "pcn_id": pcn_id,
                        "valid_from": self.day,
                        "valid_to": None,
                    }
                )
            if row.practice_code not in new_codes and row.practice_code not in reopened:
                self.report.moved_practices.append(
                    PracticeMove(
                        row.practice_code,
                        row.practice_name,
                        pcn_codes.get(current_pcn, f"#{current_pcn}") if current_pcn else None,
                        row.pcn_code,
                    )
                )
        # What is left open belongs to practices no longer in the file (closed above).
        closed_ids = {self.ids[(PRACTICE, ref.code)] for ref in self.report.closed_practices}
        for practice_id, current in open_rows.items():
            if practice_id in closed_ids:
                close(current)
        if closes:
            session.execute(
                sa.update(MEMBERSHIPS)
                .where(m.id == sa.bindparam("closed_id"))
                .values(valid_to=sa.bindparam("closed_on")),
                closes,
            )
        if opens:
            session.execute(sa.insert(MEMBERSHIPS), opens)
        self.report.memberships_closed = len(closes)
        self.report.memberships_opened = len(opens)

    # -- list size history --

    def _list_size_records(self) -> None:
        session = db.session
        wanted: list[tuple[ListSizeMeasure, date, str, dict[str, Decimal]]] = [
            (
                ListSizeMeasure.REGISTERED,
                self.totals.extract_date,
                self.totals.file_name,
                {
                    row.practice_code: Decimal(self.sizes[row.practice_code])
                    for row in self.rows
                    if row.practice_code in self.sizes
                },
            )
        ]
        if self.payments is not None:
            wanted.append(
                (
                    ListSizeMeasure.WEIGHTED,
                    self.payments.as_of,
                    self.payments.file_name,
                    {
                        row.practice_code: self.weighted[row.practice_code]
                        for row in self.rows
                        if row.practice_code in self.weighted
                    },
                )
            )
        have = self.held.records
        new: list[dict[str, Any]] = []
        for measure, as_of, source, values in wanted:
            added = 0
            for code, value in values.items():
                organisation_id = self.ids[(PRACTICE, code)]
                if (organisation_id, measure, as_of) in have:
                    continue
                new.append(
                    {
                        "organisation_id": organisation_id,
                        "measure": measure,
                        "as_of": as_of,
                        "value": value,
                        "source": source[:200],
                    }
                )
                added += 1
            if measure is ListSizeMeasure.REGISTERED:
                self.report.list_size_records_added = added
            else:
                self.report.weighted_records_added = added
        if new:
            session.execute(sa.insert(LIST_SIZE_RECORDS), new)


def _is_current(held: date | None, incoming: date) -> bool:
    """A figure becomes current unless the organisation already has a later one."""
    return held is None or incoming >= held
