"""The writing half of an NHS import into one area: from what the area holds
(``import_holdings``) and the files already read and checked, compared in Python, bulk inserts
and updates of only what changed, each change noted in the area's ``ImportReport``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa

from portal.extensions import db
from portal.organisations.import_holdings import (
    LIST_SIZE_RECORDS,
    MEMBERSHIPS,
    ORGANISATIONS,
    PCN,
    PRACTICE,
    Existing,
    Figures,
    Holdings,
)
from portal.organisations.import_report import (
    ImportReport,
    OrganisationRef,
    PracticeMove,
    SizeChange,
)
from portal.organisations.models import Area, ListSizeMeasure, Organisation, OrganisationKind
from portal.organisations.nhs_files import MappingFile, MappingRow


class ImportWriter:
    """The writing half of ``import_nhs``: from what the area holds (``Holdings``), compared in
    Python, bulk inserts and updates of only what changed."""

    def __init__(
        self,
        area: Area,
        held: Holdings,
        report: ImportReport,
        mapping: MappingFile,
        rows: list[MappingRow],
        figures: Figures,
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
        self.existing: dict[tuple[OrganisationKind, str], Existing] = {}
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

    def _set(self, existing: Existing, **values: Any) -> None:
        self.updates.setdefault(existing.id, {"id": existing.id}).update(values)

    def _upsert(self, kind: OrganisationKind, code: str, name: str, postcode: str | None) -> bool:
        """Insert or update one organisation's name, postcode and open state; True if new.

        The mapping file gives no PCN postcode: a PCN's postcode is left as it is.
        """
        existing = self.existing.get((kind, code))
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
            (report.new_practices if kind is PRACTICE else report.new_pcns).append(
                OrganisationRef(code, name)
            )
            return True
        if kind is PCN:
            postcode = existing.postcode
        if existing.name != name or existing.postcode != postcode:
            self._set(existing, name=name, postcode=postcode)
            report.details_changed.append(OrganisationRef(code, name))
        if existing.closed_on is not None:
            self._set(existing, closed_on=None)
            (report.reopened_practices if kind is PRACTICE else report.reopened_pcns).append(
                OrganisationRef(code, name)
            )
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

            size = self.sizes.get(code)
            if size is None:
                report.without_list_size.append(OrganisationRef(code, row.practice_name))
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
                report.without_weighted_list_size.append(OrganisationRef(code, row.practice_name))
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
            insert_rows(ORGANISATIONS, self.new)
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
            insert_rows(MEMBERSHIPS, opens)
        self.report.memberships_closed = len(closes)
        self.report.memberships_opened = len(opens)

    # -- list size history --

    def _list_size_records(self) -> None:
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
        practice_ids = {code: id for (kind, code), id in self.ids.items() if kind is PRACTICE}
        new: list[dict[str, Any]] = []
        for measure, as_of, source, values in wanted:
            have = self.held.records.get((measure, as_of), set())
            added = 0
            for code, value in values.items():
                organisation_id = practice_ids[code]
                if organisation_id in have:
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
            insert_rows(LIST_SIZE_RECORDS, new)


def insert_rows(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows, all with the same keys, in one statement.

    On PostgreSQL by ``COPY``: an INSERT per row, even pipelined, costs the server some 30 µs a
    row, most of a first import of all England; ``COPY`` a fifth of that. Each value goes
    through its column's type as in an INSERT (an enum becomes the value stored), and a column
    the rows leave out takes its Python default (one value for the whole statement) or, with
    none, the server's.
    """
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    given = [table.c[key] for key in rows[0]]
    defaulted = [c for c in table.c if c.key not in rows[0] and c.default is not None]
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in given]
    fixed = []
    for column in defaulted:
        default = cast(sa.ColumnDefault, column.default)
        value = default.arg(None) if default.is_callable else default.arg
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        fixed.append(process(value) if process else value)
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in [*given, *defaulted])
    with (
        cast(Any, connection.connection.driver_connection).cursor() as cursor,
        cursor.copy(
            f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            values = [
                process(row[column.key]) if process else row[column.key]
                for process, column in zip(processors, given, strict=True)
            ]
            copy.write_row(values + fixed)


def _is_current(held: date | None, incoming: date) -> bool:
    """A figure becomes current unless the organisation already has a later one."""
    return held is None or incoming >= held
