"""Importing the NHS files into an area: practices, PCNs, list sizes and dated PCN membership.

``import_nhs`` reads and checks every file first; any fault raises before a single row is
written. It then reads what the area holds in six queries (for all 42 ICBs' areas at once with
``import_all_icbs``), compares in Python, and writes only what changed in a handful of bulk
statements through the tables (all of England is 6,171 practices and 1,298 PCNs), and flushes;
the caller commits (the CLI command commits once) or rolls back on any exception.

This module holds the entry points and the rules for areas (scope, codes, dates, the audit
entry); ``import_holdings`` reads what the areas hold and locks them, ``import_writer`` writes
the changes in bulk, and ``import_report`` says what was done.

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

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from portal.audit.services import Actor, record
from portal.errors import DomainError
from portal.extensions import db
from portal.organisations.import_holdings import (
    PCN,
    PRACTICE,
    Figures,
    Holdings,
    lock_area,
    lock_icb_areas,
    read_holdings,
)
from portal.organisations.import_report import ImportReport
from portal.organisations.import_writer import ImportWriter
from portal.organisations.models import Area, Organisation
from portal.organisations.nhs_files import (
    AREA_CODE,
    MappingFile,
    MappingRow,
    read_list_sizes,
    read_mapping,
    read_payments,
)

AUDIT_ACTION = "organisations.nhs_import"
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


class NhsImportError(DomainError):
    """The files are sound but cannot go into this area (wrong ICB, older than the area...)."""


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while an import runs; as it was afterwards.

    An import of all England keeps some 40,000 rows, read and compared, until it ends. So many
    new objects set off a full collection of the whole heap (an app's worth of modules) once
    or twice per run, a third of a second run's time, and it frees nothing: the rows hold no
    cycles, and are freed by reference counting when the import returns.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@cycle_collection_paused()
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
    area = lock_area(slug)
    figures = Figures.of(totals, payments)
    holdings = read_holdings([area.id], figures) if area is not None else {}
    report = _import_into_area(
        slug, area, holdings, mapping, mapping.rows, figures, icb, sub_icb, area_name, actor
    )
    # Bulk statements bypass the identity map: let loaded objects read the new state.
    db.session.expire_all()
    return report


@cycle_collection_paused()
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
    existing = lock_icb_areas(by_icb)
    taken = set(db.session.execute(sa.select(Area.slug)).scalars())
    figures = Figures.of(totals, payments)
    # What every existing area holds, read at once: each area's import touches only its own.
    holdings = read_holdings([area.id for area in existing.values()], figures) if existing else {}
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
    holdings: dict[int, Holdings],
    mapping: MappingFile,
    candidates: Sequence[MappingRow],
    figures: Figures,
    icb: str | None,
    sub_icb: str | None,
    area_name: str | None,
    actor: Any,
) -> ImportReport:
    """The writing half of an import into one area, from files already read and checked.

    ``area`` is the area of that slug, already locked, or None to create it; ``holdings`` what
    the existing areas held before the import (``read_holdings``). ``candidates`` are the mapping
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
        held = Holdings()
    else:
        held = holdings.get(area.id) or Holdings()
        _check_not_older(area, held, mapping)
        if area_name is not None and area_name != area.name:
            area.name = area_name
            report.area_updated = True
        if (area.icb_code, area.sub_icb_code) != (icb, sub_icb):
            area.icb_code, area.sub_icb_code = _area_codes(icb, sub_icb, rows)
            report.area_updated = True
        session.flush()
    report.area_name = area.name

    ImportWriter(area, held, report, mapping, rows, figures).run()

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


def _check_not_older(area: Area, held: Holdings, mapping: MappingFile) -> None:
    if held.latest is not None and mapping.extract_date < held.latest:
        raise NhsImportError(
            f"{mapping.file_name} is an extract of {mapping.extract_date.isoformat()}, older than "
            f"what area {area.slug} already holds ({held.latest.isoformat()})"
        )
