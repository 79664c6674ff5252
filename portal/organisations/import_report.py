"""What one NHS import did to one area: the report printed by ``flask import-nhs`` and the
details kept in its audit entry.

Kept apart from ``import_writer`` so the writing code reads as the rules it applies, and the
wording of the report can change without touching it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

# Lists in the audit entry's details are cut to this many codes (the counts stay whole).
AUDIT_LIST_LIMIT = 50
# Lines of the human report list this many items per heading, then "... and N more".
REPORT_LIST_LIMIT = 20


@dataclass(frozen=True, slots=True)
class OrganisationRef:
    code: str
    name: str

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@dataclass(frozen=True, slots=True)
class PracticeMove:
    code: str
    name: str
    from_pcn: str | None  # None: the practice was in no PCN
    to_pcn: str | None  # None: the practice is now in no PCN

    def __str__(self) -> str:
        return f"{self.code} {self.name}: {self.from_pcn or 'no PCN'} -> {self.to_pcn or 'no PCN'}"


@dataclass(frozen=True, slots=True)
class SizeChange:
    code: str
    name: str
    old: int | Decimal | None
    new: int | Decimal

    def __str__(self) -> str:
        old = "none" if self.old is None else f"{self.old:,}"
        return f"{self.code} {self.name}: {old} -> {self.new:,}"


@dataclass
class ImportReport:
    """What one import did to one area; ``changed`` is False when it wrote nothing."""

    area_slug: str
    area_name: str
    scope: str
    mapping_file: str
    mapping_date: date
    list_sizes_file: str
    list_size_date: date
    payments_file: str | None = None
    weighted_date: date | None = None
    area_created: bool = False
    area_updated: bool = False
    practices: int = 0
    pcns: int = 0
    registered_patients: int = 0
    new_practices: list[OrganisationRef] = field(default_factory=list)
    reopened_practices: list[OrganisationRef] = field(default_factory=list)
    closed_practices: list[OrganisationRef] = field(default_factory=list)
    moved_practices: list[PracticeMove] = field(default_factory=list)
    new_pcns: list[OrganisationRef] = field(default_factory=list)
    reopened_pcns: list[OrganisationRef] = field(default_factory=list)
    closed_pcns: list[OrganisationRef] = field(default_factory=list)
    # Name or postcode changed (practices and PCNs).
    details_changed: list[OrganisationRef] = field(default_factory=list)
    list_size_changes: list[SizeChange] = field(default_factory=list)
    weighted_list_size_changes: list[SizeChange] = field(default_factory=list)
    # In the mapping file but not in the totals (or payments) file: their figures are left as
    # they were.
    without_list_size: list[OrganisationRef] = field(default_factory=list)
    without_weighted_list_size: list[OrganisationRef] = field(default_factory=list)
    list_size_records_added: int = 0
    weighted_records_added: int = 0
    memberships_opened: int = 0
    memberships_closed: int = 0
    organisations_updated: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.area_created
            or self.area_updated
            or self.new_practices
            or self.reopened_practices
            or self.closed_practices
            or self.moved_practices
            or self.new_pcns
            or self.reopened_pcns
            or self.closed_pcns
            or self.details_changed
            or self.list_size_changes
            or self.weighted_list_size_changes
            or self.list_size_records_added
            or self.weighted_records_added
            or self.memberships_opened
            or self.memberships_closed
            or self.organisations_updated
        )

    def summary(self) -> str:
        """One line, for the audit log."""
        if not self.changed:
            return f"NHS import into {self.area_slug}: no changes"
        return (
            f"NHS import into {self.area_slug} ({self.scope}), mapping of "
            f"{self.mapping_date.isoformat()}: {self.practices} practices, {self.pcns} PCNs; "
            f"{len(self.new_practices)} new, {len(self.closed_practices)} closed, "
            f"{len(self.moved_practices)} moved, {len(self.list_size_changes)} list sizes and "
            f"{len(self.weighted_list_size_changes)} weighted list sizes changed"
        )

    def lines(self) -> list[str]:
        created = " (new area)" if self.area_created else ""
        out = [
            f"Area {self.area_slug}: {self.area_name} [{self.scope}]{created}",
            f"Mapping: {self.mapping_file}, extract {self.mapping_date.isoformat()}: "
            f"{self.practices:,} practices in {self.pcns:,} PCNs",
            f"List sizes: {self.list_sizes_file}, extract {self.list_size_date.isoformat()}: "
            f"{self.registered_patients:,} registered patients",
        ]
        if self.payments_file is not None and self.weighted_date is not None:
            out.append(
                f"Weighted list sizes: {self.payments_file}, as of {self.weighted_date.isoformat()}"
            )
        sections: list[tuple[str, list[Any]]] = [
            ("Practices without a list size in the totals file", self.without_list_size),
            ("Practices without a weighted list size", self.without_weighted_list_size),
        ]
        if not self.changed:
            out.extend(_section(title, items) for title, items in sections if items)
            out.append("No changes.")
            return out
        sections = [
            ("New practices", self.new_practices),
            ("Reopened practices", self.reopened_practices),
            ("Closed practices", self.closed_practices),
            ("Moved practices", self.moved_practices),
            ("New PCNs", self.new_pcns),
            ("Reopened PCNs", self.reopened_pcns),
            ("Closed PCNs", self.closed_pcns),
            ("Name or postcode changed", self.details_changed),
            ("List size changes", self.list_size_changes),
            ("Weighted list size changes", self.weighted_list_size_changes),
            *sections,
        ]
        out.extend(_section(title, items) for title, items in sections if items)
        if self.area_updated:
            out.append(f"Area name or codes updated: {self.area_name} [{self.scope}]")
        out.append(
            f"Written: {self.list_size_records_added:,} list size records, "
            f"{self.weighted_records_added:,} weighted list size records, "
            f"{self.memberships_opened:,} memberships opened, "
            f"{self.memberships_closed:,} closed, "
            f"{self.organisations_updated:,} organisations updated"
        )
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def audit_details(self) -> dict[str, Any]:
        def codes(items: list[Any]) -> list[str]:
            return [item.code for item in items[:AUDIT_LIST_LIMIT]]

        return {
            "scope": self.scope,
            "mapping_file": self.mapping_file,
            "mapping_date": self.mapping_date.isoformat(),
            "list_sizes_file": self.list_sizes_file,
            "list_size_date": self.list_size_date.isoformat(),
            "payments_file": self.payments_file,
            "weighted_date": self.weighted_date.isoformat() if self.weighted_date else None,
            "area_created": self.area_created,
            "practices": self.practices,
            "pcns": self.pcns,
            "counts": {
                "new_practices": len(self.new_practices),
                "reopened_practices": len(self.reopened_practices),
                "closed_practices": len(self.closed_practices),
                "moved_practices": len(self.moved_practices),
                "new_pcns": len(self.new_pcns),
                "reopened_pcns": len(self.reopened_pcns),
                "closed_pcns": len(self.closed_pcns),
                "details_changed": len(self.details_changed),
                "list_size_changes": len(self.list_size_changes),
                "weighted_list_size_changes": len(self.weighted_list_size_changes),
                "without_list_size": len(self.without_list_size),
                "without_weighted_list_size": len(self.without_weighted_list_size),
                "list_size_records_added": self.list_size_records_added,
                "weighted_records_added": self.weighted_records_added,
                "memberships_opened": self.memberships_opened,
                "memberships_closed": self.memberships_closed,
                "organisations_updated": self.organisations_updated,
            },
            "new_practices": codes(self.new_practices),
            "closed_practices": codes(self.closed_practices),
            "reopened_practices": codes(self.reopened_practices),
            "moved_practices": [
                [move.code, move.from_pcn, move.to_pcn]
                for move in self.moved_practices[:AUDIT_LIST_LIMIT]
            ],
            "new_pcns": codes(self.new_pcns),
            "closed_pcns": codes(self.closed_pcns),
            "list_size_changes": [
                [change.code, change.old, change.new]
                for change in self.list_size_changes[:AUDIT_LIST_LIMIT]
            ],
        }


def _section(title: str, items: list[Any]) -> str:
    shown = [f"  {item}" for item in items[:REPORT_LIST_LIMIT]]
    if len(items) > REPORT_LIST_LIMIT:
        shown.append(f"  ... and {len(items) - REPORT_LIST_LIMIT:,} more")
    return "\n".join([f"{title} ({len(items):,}):", *shown])
