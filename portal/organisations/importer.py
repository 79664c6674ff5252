"""Importing the NHS files into an area: practices, PCNs, list sizes and dated PCN membership.

``import_nhs`` reads and checks every file first; any fault raises before a single row is
written. It then brings the area in line with the files in a handful of bulk statements (all
of England is 6,171 practices and 1,298 PCNs) and flushes; the caller commits (the CLI command
commits once) or rolls back on any exception.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

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


class NhsImportError(DomainError):
    """The files are sound but cannot go into this area (wrong ICB, older than the area...)."""


# --- the import -------------------------------------------------------------------------------


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
    return _import_into_area(
        slug, mapping, mapping.rows, totals, payments, icb, sub_icb, area_name, actor
    )


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
    existing = {
        area.icb_code: area.slug
        for area in db.session.execute(
            sa.select(Area)
            .where(Area.icb_code.in_(sorted(by_icb)), Area.sub_icb_code.is_(None))
            .order_by(Area.id.desc())  # the oldest such area wins
        ).scalars()
    }
    taken = set(db.session.execute(sa.select(Area.slug)).scalars())
    reports = []
    for code in sorted(by_icb):
        rows = by_icb[code]
        slug = existing.get(code)
        if slug is None:
            slug = _free_slug(icb_slug(rows[0].icb_name, code), taken)
            taken.add(slug)
        reports.append(
            _import_into_area(slug, mapping, rows, totals, payments, code, None, None, actor)
        )
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
    mapping: MappingFile,
    candidates: Sequence[MappingRow],
    totals: ListSizeFile,
    payments: PaymentsFile | None,
    icb: str | None,
    sub_icb: str | None,
    area_name: str | None,
    actor: Any,
) -> ImportReport:
    """The writing half of an import into one area, from files already read and checked.

    ``candidates`` are the mapping rows that may belong to the area (all of them, or one ICB's
    when the caller has grouped them already); the area's scope narrows them further.
    """
    session = db.session
    session.flush()
    # FOR UPDATE (PostgreSQL): two imports into one area run one after the other.
    area = session.execute(
        sa.select(Area).where(Area.slug == slug).with_for_update()
    ).scalar_one_or_none()
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
    else:
        _check_not_older(area, mapping)
        if area_name is not None and area_name != area.name:
            area.name = area_name
            report.area_updated = True
        if (area.icb_code, area.sub_icb_code) != (icb, sub_icb):
            area.icb_code, area.sub_icb_code = _area_codes(icb, sub_icb, rows)
            report.area_updated = True
        session.flush()
    report.area_name = area.name

    _Import(area, report, mapping, rows, totals, payments).run()

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
    # Bulk statements bypass the identity map: let loaded objects read the new state.
    session.expire_all()
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


def _check_not_older(area: Area, mapping: MappingFile) -> None:
    latest = db.session.execute(
        sa.select(sa.func.max(PcnMembership.valid_from), sa.func.max(PcnMembership.valid_to))
        .join(Organisation, PcnMembership.practice_id == Organisation.id)
        .where(Organisation.area_id == area.id)
    ).one()
    closed = db.session.execute(
        sa.select(sa.func.max(Organisation.closed_on)).where(Organisation.area_id == area.id)
    ).scalar_one()
    known = [value for value in (*latest, closed) if value is not None]
    if known and mapping.extract_date < max(known):
        raise NhsImportError(
            f"{mapping.file_name} is an extract of {mapping.extract_date.isoformat()}, older than "
            f"what area {area.slug} already holds ({max(known).isoformat()})"
        )


class _Import:
    """The writing half of ``import_nhs``: a few reads, then bulk inserts and updates."""

    def __init__(
        self,
        area: Area,
        report: ImportReport,
        mapping: MappingFile,
        rows: list[MappingRow],
        totals: ListSizeFile,
        payments: PaymentsFile | None,
    ) -> None:
        self.area = area
        self.report = report
        self.day = mapping.extract_date
        self.rows = rows
        self.totals = totals
        self.payments = payments
        self.sizes = {row.practice_code: row.patients for row in totals.rows}
        self.weighted = (
            {
                row.practice_code: row.weighted_patients.quantize(PENCE, ROUND_HALF_UP)
                for row in payments.rows
            }
            if payments is not None
            else {}
        )
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
        o = Organisation
        result = db.session.execute(
            sa.select(
                o.id,
                o.kind,
                o.ods_code.label("code"),
                o.name,
                o.postcode,
                o.list_size,
                o.list_size_date,
                o.weighted_list_size,
                o.weighted_list_size_date,
                o.closed_on,
            ).where(o.area_id == self.area.id, o.kind.in_([PRACTICE, PCN]))
        )
        for row in result:
            existing = _Existing(**row._asdict())
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
            session.execute(sa.insert(Organisation), self.new)
            codes = [values["ods_code"] for values in self.new]
            for chunk in _chunks(codes, 1000):
                for row in session.execute(
                    sa.select(Organisation.id, Organisation.kind, Organisation.ods_code).where(
                        Organisation.area_id == self.area.id, Organisation.ods_code.in_(chunk)
                    )
                ):
                    self.ids[(row.kind, row.ods_code)] = row.id

    # -- memberships --

    def _memberships(self) -> None:
        session = db.session
        open_rows = {
            row.practice_id: row
            for row in session.execute(
                sa.select(
                    PcnMembership.id,
                    PcnMembership.practice_id,
                    PcnMembership.pcn_id,
                    PcnMembership.valid_from,
                )
                .join(Organisation, PcnMembership.practice_id == Organisation.id)
                .where(Organisation.area_id == self.area.id, PcnMembership.valid_to.is_(None))
            )
        }
        pcn_codes = {pcn_id: code for (kind, code), pcn_id in self.ids.items() if kind is PCN}
        new_codes = {ref.code for ref in self.report.new_practices}
        reopened = {ref.code for ref in self.report.reopened_practices}
        day_before = self.day - timedelta(days=1)
        closes: list[dict[str, Any]] = []
        opens: list[dict[str, Any]] = []

        def close(membership: Any) -> None:
            closes.append({"id": membership.id, "valid_to": max(day_before, membership.valid_from)})

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
            session.execute(sa.update(PcnMembership), closes)
        if opens:
            session.execute(sa.insert(PcnMembership), opens)
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
        have = {
            (row.organisation_id, row.measure, row.as_of)
            for row in session.execute(
                sa.select(
                    ListSizeRecord.organisation_id, ListSizeRecord.measure, ListSizeRecord.as_of
                )
                .join(Organisation, ListSizeRecord.organisation_id == Organisation.id)
                .where(
                    Organisation.area_id == self.area.id,
                    ListSizeRecord.as_of.in_(sorted({as_of for _, as_of, _, _ in wanted})),
                )
            )
        }
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
            session.execute(sa.insert(ListSizeRecord), new)


def _is_current(held: date | None, incoming: date) -> bool:
    """A figure becomes current unless the organisation already has a later one."""
    return held is None or incoming >= held


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
