"""Importing the NHS files into the database: counts, sizes, dated membership, history, refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEntry
from portal.organisations.importer import NhsImportError, import_nhs
from portal.organisations.models import (
    Area,
    ListSizeMeasure,
    ListSizeRecord,
    Organisation,
    OrganisationKind,
    PcnMembership,
)
from portal.organisations.nhs_files import NhsFileError
from tests.conftest import REPO_ROOT
from tests.factories import make_area, make_user

DATA = REPO_ROOT / "tests" / "data" / "nhs"
MAPPING = DATA / "gp-reg-pat-prac-map_2026-01-01_sample.csv"
TOTALS = DATA / "gp-reg-pat-prac-all_2025-04-01_sample.csv"
PAYMENTS = DATA / "nhspaymentsgp-22-23-prac_sample.csv"
MAPPING_LATER = DATA / "gp-reg-pat-prac-map_2026-02-01_later-month-derived.csv"
TOTALS_LATER = DATA / "gp-reg-pat-prac-all_2025-05-01_later-month-derived.csv"
TOTALS_BROKEN = DATA / "gp-reg-pat-prac-all_2025-04-01_broken-non-numeric.csv"
MAPPING_DUPLICATE = DATA / "gp-reg-pat-prac-map_2026-01-01_broken-duplicate-practice.csv"
DEMO = REPO_ROOT / "portal" / "demo" / "data"
TABLES = (Area, Organisation, PcnMembership, ListSizeRecord, AuditEntry)


def import_sample(db: Any, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "area_slug": "humber",
        "mapping_path": MAPPING,
        "list_sizes_path": TOTALS,
        "payments_path": PAYMENTS,
        "icb": "QOQ",
    }
    arguments.update(overrides)
    report = import_nhs(**arguments)
    db.session.commit()
    return report


def import_later(db: Any, **overrides: Any) -> Any:
    arguments = {"mapping_path": MAPPING_LATER, "list_sizes_path": TOTALS_LATER, "icb": None}
    return import_sample(db, **{**arguments, **overrides})


def derived(tmp_path: Path, source: Path, name: str, *replacements: tuple[bytes, bytes]) -> Path:
    data = source.read_bytes()
    for old, new in replacements:
        assert old in data, old
        data = data.replace(old, new)
    target = tmp_path / name
    target.write_bytes(data)
    return target


def counts(db: Any) -> dict[str, int]:
    return {
        model.__tablename__: db.session.execute(
            sa.select(sa.func.count()).select_from(model)
        ).scalar_one()
        for model in TABLES
    }


def snapshot(db: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the importer touches, in id order."""
    result = {}
    for model in TABLES:
        table = model.__table__
        rows = db.session.execute(sa.select(table).order_by(table.c.id)).all()
        result[table.name] = [tuple(row) for row in rows]
    return result


def organisation(db: Any, code: str, kind: OrganisationKind = OrganisationKind.PRACTICE) -> Any:
    return db.session.execute(
        sa.select(Organisation).where(Organisation.ods_code == code, Organisation.kind == kind)
    ).scalar_one()


def memberships(db: Any, code: str) -> list[tuple[str, date, date | None]]:
    practice = organisation(db, code)
    return [
        (membership.pcn.ods_code, membership.valid_from, membership.valid_to)
        for membership in sorted(practice.pcn_memberships, key=lambda m: (m.valid_from, m.id))
    ]


def history(db: Any, code: str, measure: ListSizeMeasure) -> list[tuple[date, Decimal, str]]:
    rows = db.session.execute(
        sa.select(ListSizeRecord.as_of, ListSizeRecord.value, ListSizeRecord.source)
        .join(Organisation, ListSizeRecord.organisation_id == Organisation.id)
        .where(Organisation.ods_code == code, ListSizeRecord.measure == measure)
        .order_by(ListSizeRecord.as_of)
    ).all()
    return [tuple(row) for row in rows]


def kinds(db: Any, area: Area) -> dict[OrganisationKind, int]:
    rows = db.session.execute(
        sa.select(Organisation.kind, sa.func.count())
        .where(Organisation.area_id == area.id)
        .group_by(Organisation.kind)
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def the_area(db: Any, slug: str = "humber") -> Area:
    return db.session.execute(sa.select(Area).where(Area.slug == slug)).scalar_one()


# --- a first import ---------------------------------------------------------------------------


def test_first_import_creates_the_area_practices_and_pcns(db: Any) -> None:
    report = import_sample(db)

    area = the_area(db)
    assert (area.name, area.icb_code, area.sub_icb_code) == (
        "NHS Humber and North Yorkshire Integrated Care Board",
        "QOQ",
        None,
    )
    assert report.area_created
    assert report.changed
    assert (report.practices, report.pcns) == (34, 13)
    assert len(report.new_practices) == 34
    assert len(report.new_pcns) == 13
    assert report.closed_practices == report.moved_practices == report.list_size_changes == []
    assert report.without_list_size == report.without_weighted_list_size == []
    assert (report.list_size_records_added, report.weighted_records_added) == (34, 34)
    assert report.memberships_opened == 34
    assert kinds(db, area) == {OrganisationKind.PRACTICE: 34, OrganisationKind.PCN: 13}
    # Only the QOQ practices: the Nottinghamshire ones (QT1) in the same file stay out.
    assert (
        db.session.execute(sa.select(Organisation).where(Organisation.ods_code == "C84001")).first()
        is None
    )


def test_practice_fields_list_sizes_and_weighted_sizes(db: Any) -> None:
    import_sample(db)

    practice = organisation(db, "B81009")
    assert practice.name == "MARKET WEIGHTON GROUP PRACTICE"
    assert practice.postcode == "YO43 3FF"
    assert (practice.list_size, practice.list_size_date) == (9049, date(2025, 4, 1))
    assert practice.weighted_list_size == Decimal("9754.93")
    assert practice.weighted_list_size_date == date(2023, 3, 31)
    assert practice.closed_on is None
    assert organisation(db, "B81004").name == "EASTGATE MEDICAL GROUP, HORNSEA"
    pcn = organisation(db, "U28348", OrganisationKind.PCN)
    assert pcn.name == "HARTHILL EAST RIDING PCN"
    assert pcn.list_size is None
    assert history(db, "B81009", ListSizeMeasure.REGISTERED) == [
        (date(2025, 4, 1), Decimal("9049"), TOTALS.name)
    ]
    assert history(db, "B81009", ListSizeMeasure.WEIGHTED) == [
        (date(2023, 3, 31), Decimal("9754.93"), PAYMENTS.name)
    ]


def test_memberships_open_on_the_mapping_extract_date(db: Any) -> None:
    import_sample(db)

    assert memberships(db, "B81009") == [("U28348", date(2026, 1, 1), None)]
    assert organisation(db, "B81009").current_pcn.ods_code == "U28348"
    harthill = organisation(db, "U28348", OrganisationKind.PCN)
    members = db.session.execute(
        sa.select(sa.func.count())
        .select_from(PcnMembership)
        .where(PcnMembership.pcn_id == harthill.id, PcnMembership.valid_to.is_(None))
    ).scalar_one()
    assert members == 6


def test_one_audit_entry_with_the_counts(db: Any) -> None:
    import_sample(db)

    entries = db.session.execute(sa.select(AuditEntry)).scalars().all()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "organisations.nhs_import"
    assert entry.actor_label == "system"
    assert entry.area_id == the_area(db).id
    assert entry.details["counts"]["new_practices"] == 34
    assert entry.details["counts"]["new_pcns"] == 13
    assert entry.details["mapping_file"] == MAPPING.name
    assert entry.details["mapping_date"] == "2026-01-01"
    assert "34 practices" in entry.summary


def test_actor_is_recorded(db: Any) -> None:
    user = make_user(email="importer@example.nhs.uk")
    import_sample(db, actor=user)

    entry = db.session.execute(sa.select(AuditEntry)).scalar_one()
    assert entry.actor_label == "importer@example.nhs.uk"


def test_sub_icb_import_with_an_unallocated_practice(db: Any) -> None:
    report = import_sample(db, area_slug="bassetlaw", icb=None, sub_icb="02Q")

    area = the_area(db, "bassetlaw")
    assert (area.icb_code, area.sub_icb_code) == ("QT1", "02Q")
    assert area.name == "NHS Nottingham and Nottinghamshire ICB - 02Q"
    assert (report.practices, report.pcns) == (10, 3)
    # Y08082 has PCN_CODE "U" (unallocated) and opened after 2022-23: no PCN, no weighted size.
    assert memberships(db, "Y08082") == []
    assert organisation(db, "Y08082").list_size == 8
    assert [ref.code for ref in report.without_weighted_list_size] == ["Y08082"]
    assert organisation(db, "Y08082").weighted_list_size is None
    assert report.memberships_opened == 9


def test_without_icb_the_whole_file_is_imported_as_england(db: Any) -> None:
    report = import_sample(db, area_slug="england", icb=None)

    area = the_area(db, "england")
    assert (area.name, area.icb_code, area.sub_icb_code) == ("England", None, None)
    assert (report.practices, report.pcns) == (44, 16)


def test_area_name_and_icb_code_case(db: Any) -> None:
    import_sample(db, icb="qoq", area_name="  Humber   demo ")
    area = the_area(db)
    assert (area.name, area.icb_code) == ("Humber demo", "QOQ")


def test_without_payments_weighted_sizes_are_left_alone(db: Any) -> None:
    report = import_sample(db, payments_path=None)

    assert organisation(db, "B81009").weighted_list_size is None
    assert report.weighted_records_added == 0
    assert report.without_weighted_list_size == []
    assert report.weighted_date is None


def test_payments_date_given_by_the_caller(db: Any) -> None:
    import_sample(db, payments_as_of=date(2023, 1, 31))
    assert organisation(db, "B81009").weighted_list_size_date == date(2023, 1, 31)
    assert history(db, "B81009", ListSizeMeasure.WEIGHTED)[0][0] == date(2023, 1, 31)


def test_demo_files_import(db: Any) -> None:
    report = import_sample(
        db,
        area_slug="staffordshire",
        mapping_path=DEMO / "gp-reg-pat-prac-map_2026-01-01_QNC.csv",
        list_sizes_path=DEMO / "gp-reg-pat-prac-all_2025-04-01_QNC.csv",
        payments_path=DEMO / "nhspaymentsgp-22-23-prac_QNC.csv",
        icb="QNC",
    )

    assert (report.practices, report.pcns, report.registered_patients) == (141, 25, 1_207_013)
    assert the_area(db, "staffordshire").name == (
        "NHS Staffordshire and Stoke-on-Trent Integrated Care Board"
    )


# --- idempotence ------------------------------------------------------------------------------


def test_second_run_with_the_same_files_changes_nothing(db: Any) -> None:
    import_sample(db)
    before = snapshot(db)

    report = import_sample(db)

    assert not report.changed
    assert str(report).endswith("No changes.")
    assert snapshot(db) == before
    assert counts(db)["audit_entries"] == 1


def test_second_run_may_leave_out_the_area_codes(db: Any) -> None:
    import_sample(db)
    before = snapshot(db)

    report = import_sample(db, icb=None)

    assert not report.changed
    assert report.scope == "ICB QOQ"
    assert snapshot(db) == before


# --- a later month ----------------------------------------------------------------------------


def test_later_month_reports_new_closed_moved_and_changed(db: Any) -> None:
    import_sample(db)

    report = import_later(db)

    assert report.changed
    assert [(ref.code, ref.name) for ref in report.new_practices] == [("B81003", "BEACON MEDICAL")]
    assert [ref.code for ref in report.closed_practices] == ["B81025"]
    assert [(m.code, m.from_pcn, m.to_pcn) for m in report.moved_practices] == [
        ("B81100", "U28348", "U97785")
    ]
    assert [(c.code, c.old, c.new) for c in report.list_size_changes] == [("B81009", 9049, 9112)]
    assert [ref.code for ref in report.new_pcns] == ["U87666"]
    assert [ref.code for ref in report.closed_pcns] == ["U64827"]
    assert [ref.code for ref in report.without_list_size] == ["B81003"]
    assert report.weighted_list_size_changes == []
    assert (report.practices, report.pcns) == (34, 13)
    text = str(report)
    assert "B81100 DR AC MILNER: U28348 -> U97785" in text
    assert "B81009 MARKET WEIGHTON GROUP PRACTICE: 9,049 -> 9,112" in text
    assert counts(db)["audit_entries"] == 2


def test_later_month_dates_membership_and_closures(db: Any) -> None:
    import_sample(db)
    import_later(db)

    assert memberships(db, "B81100") == [
        ("U28348", date(2026, 1, 1), date(2026, 1, 31)),
        ("U97785", date(2026, 2, 1), None),
    ]
    closed = organisation(db, "B81025")
    assert closed.closed_on == date(2026, 2, 1)
    assert memberships(db, "B81025") == [("U64827", date(2026, 1, 1), date(2026, 1, 31))]
    assert organisation(db, "U64827", OrganisationKind.PCN).closed_on == date(2026, 2, 1)
    added = organisation(db, "B81003")
    assert memberships(db, "B81003") == [("U87666", date(2026, 2, 1), None)]
    assert added.list_size is None
    # The payments file already held the new practice's row.
    assert added.weighted_list_size == Decimal("13762.60")
    assert memberships(db, "B81009") == [("U28348", date(2026, 1, 1), None)]


def test_later_month_keeps_list_size_history(db: Any) -> None:
    import_sample(db)
    import_later(db)

    practice = organisation(db, "B81009")
    assert (practice.list_size, practice.list_size_date) == (9112, date(2025, 5, 1))
    assert history(db, "B81009", ListSizeMeasure.REGISTERED) == [
        (date(2025, 4, 1), Decimal("9049"), TOTALS.name),
        (date(2025, 5, 1), Decimal("9112"), TOTALS_LATER.name),
    ]
    # Same value, new month: a new record, no change reported.
    assert [row[1] for row in history(db, "B81004", ListSizeMeasure.REGISTERED)] == [
        Decimal("12427"),
        Decimal("12427"),
    ]
    # The closed practice keeps its history and its last figure.
    assert history(db, "B81025", ListSizeMeasure.REGISTERED) == [
        (date(2025, 4, 1), Decimal("33774"), TOTALS.name)
    ]
    assert organisation(db, "B81025").list_size == 33774


def test_later_month_twice_changes_nothing(db: Any) -> None:
    import_sample(db)
    import_later(db)
    before = snapshot(db)

    report = import_later(db)

    assert not report.changed
    assert snapshot(db) == before


def test_reappearing_practice_and_pcn_are_reopened(db: Any, tmp_path: Path) -> None:
    import_sample(db)
    import_later(db)
    march = derived(tmp_path, MAPPING, "map-march.csv", (b",01Jan2026,", b",01Mar2026,"))

    report = import_sample(db, mapping_path=march)

    assert [ref.code for ref in report.reopened_practices] == ["B81025"]
    assert [ref.code for ref in report.reopened_pcns] == ["U64827"]
    assert [ref.code for ref in report.closed_practices] == ["B81003"]
    assert [ref.code for ref in report.closed_pcns] == ["U87666"]
    assert [(m.code, m.from_pcn, m.to_pcn) for m in report.moved_practices] == [
        ("B81100", "U97785", "U28348")
    ]
    reopened = organisation(db, "B81025")
    assert reopened.closed_on is None
    assert memberships(db, "B81025") == [
        ("U64827", date(2026, 1, 1), date(2026, 1, 31)),
        ("U64827", date(2026, 3, 1), None),
    ]
    assert organisation(db, "U64827", OrganisationKind.PCN).closed_on is None
    assert organisation(db, "B81003").closed_on == date(2026, 3, 1)
    assert memberships(db, "B81003") == [("U87666", date(2026, 2, 1), date(2026, 2, 28))]


def test_move_within_the_same_extract_keeps_dates_in_order(db: Any, tmp_path: Path) -> None:
    import_sample(db)
    corrected = derived(
        tmp_path,
        MAPPING,
        "map-corrected.csv",
        (
            b",B81100,DR AC MILNER,HU10 6QJ,U28348,HARTHILL EAST RIDING PCN,",
            b",B81100,DR AC MILNER,HU10 6QJ,U97785,RIVER & WOLDS EAST RIDING PCN,",
        ),
    )

    report = import_sample(db, mapping_path=corrected)

    assert [(m.code, m.from_pcn, m.to_pcn) for m in report.moved_practices] == [
        ("B81100", "U28348", "U97785")
    ]
    assert memberships(db, "B81100") == [
        ("U28348", date(2026, 1, 1), date(2026, 1, 1)),
        ("U97785", date(2026, 1, 1), None),
    ]


def test_practice_leaving_every_pcn(db: Any, tmp_path: Path) -> None:
    import_sample(db)
    unallocated = derived(
        tmp_path,
        MAPPING,
        "map-unallocated.csv",
        (b",01Jan2026,", b",01Feb2026,"),
        (b",U97785,RIVER & WOLDS EAST RIDING PCN,", b",U,Unallocated,"),
    )

    report = import_sample(db, mapping_path=unallocated)

    assert [(m.code, m.from_pcn, m.to_pcn) for m in report.moved_practices] == [
        ("B81061", "U97785", None)
    ]
    assert "B81061 THE RIDINGS MEDICAL GROUP: U97785 -> no PCN" in str(report)
    assert memberships(db, "B81061") == [("U97785", date(2026, 1, 1), date(2026, 1, 31))]
    assert organisation(db, "B81061").current_pcn is None
    assert [ref.code for ref in report.closed_pcns] == ["U97785"]


def test_renamed_practice_is_updated(db: Any, tmp_path: Path) -> None:
    import_sample(db)
    renamed = derived(
        tmp_path, MAPPING, "map-renamed.csv", (b",DR AC MILNER,", b",MILNER MEDICAL,")
    )

    report = import_sample(db, mapping_path=renamed)

    assert [(ref.code, ref.name) for ref in report.details_changed] == [
        ("B81100", "MILNER MEDICAL")
    ]
    assert organisation(db, "B81100").name == "MILNER MEDICAL"


def test_older_list_sizes_are_kept_as_history_only(db: Any) -> None:
    import_sample(db, list_sizes_path=TOTALS_LATER)
    assert organisation(db, "B81009").list_size == 9112

    report = import_sample(db)

    # Only B81025, absent from the May file, takes its April figure as its current one.
    assert [(c.code, c.old, c.new) for c in report.list_size_changes] == [("B81025", None, 33774)]
    assert report.list_size_records_added == 34
    practice = organisation(db, "B81009")
    assert (practice.list_size, practice.list_size_date) == (9112, date(2025, 5, 1))
    assert [row[:2] for row in history(db, "B81009", ListSizeMeasure.REGISTERED)] == [
        (date(2025, 4, 1), Decimal("9049")),
        (date(2025, 5, 1), Decimal("9112")),
    ]


# --- refusals ---------------------------------------------------------------------------------


def test_broken_row_refuses_the_whole_run_and_writes_nothing(db: Any) -> None:
    import_sample(db)
    before = snapshot(db)

    with pytest.raises(NhsFileError) as error:
        import_nhs("humber", MAPPING_LATER, TOTALS_BROKEN, PAYMENTS)
    db.session.rollback()

    assert str(error.value) == (
        f"{TOTALS_BROKEN.name}, line 24: NUMBER_OF_PATIENTS is not a whole number: '7,497'"
    )
    assert snapshot(db) == before


def test_broken_file_into_an_empty_database_creates_nothing(db: Any) -> None:
    with pytest.raises(NhsFileError) as error:
        import_nhs("humber", MAPPING_DUPLICATE, TOTALS, PAYMENTS, icb="QOQ")
    db.session.rollback()

    assert (error.value.file_name, error.value.line) == (MAPPING_DUPLICATE.name, 22)
    assert set(counts(db).values()) == {0}


def test_broken_payments_file_refuses_the_run(db: Any, tmp_path: Path) -> None:
    import_sample(db)
    before = snapshot(db)
    broken = derived(
        tmp_path, PAYMENTS, "nhspaymentsgp-22-23-prac.csv", (b",9754.93,", b",-9754.93,")
    )

    with pytest.raises(NhsFileError) as error:
        import_nhs("humber", MAPPING_LATER, TOTALS_LATER, broken)
    db.session.rollback()

    assert error.value.line == 5
    assert "must not be negative" in error.value.reason
    assert snapshot(db) == before


def test_older_mapping_file_is_refused(db: Any) -> None:
    import_later(db, icb="QOQ")
    before = snapshot(db)

    with pytest.raises(NhsImportError, match="older than what area humber already holds"):
        import_nhs("humber", MAPPING, TOTALS, PAYMENTS)
    db.session.rollback()

    assert snapshot(db) == before


def test_area_of_another_icb_is_refused(db: Any) -> None:
    import_sample(db)
    before = snapshot(db)

    with pytest.raises(NhsImportError, match="covers ICB QOQ, not ICB QT1"):
        import_nhs("humber", MAPPING, TOTALS, PAYMENTS, icb="QT1")
    db.session.rollback()

    assert snapshot(db) == before


def test_icb_absent_from_the_file_is_refused(db: Any) -> None:
    with pytest.raises(NhsImportError, match="has no practice in ICB QNC"):
        import_nhs("staffs", MAPPING, TOTALS, PAYMENTS, icb="QNC")
    db.session.rollback()

    assert set(counts(db).values()) == {0}


@pytest.mark.parametrize("slug", ["", "Humber", "humber area", "-humber", "x" * 65])
def test_bad_area_slug_is_refused(db: Any, slug: str) -> None:
    with pytest.raises(NhsImportError, match="lower-case letters"):
        import_nhs(slug, MAPPING, TOTALS, PAYMENTS, icb="QOQ")


def test_empty_hand_made_area_takes_the_codes_given(db: Any) -> None:
    area = make_area(slug="humber", name="Humber (made by hand)")  # icb_code QXX, no practices

    report = import_sample(db)

    db.session.refresh(area)
    assert (area.icb_code, area.name) == ("QOQ", "Humber (made by hand)")
    assert not report.area_created
    assert report.practices == 34
