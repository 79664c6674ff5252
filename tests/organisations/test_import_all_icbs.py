"""``import-nhs --all-icbs``: one area per ICB, each holding exactly its ICB's practices and
PCNs as the published files list them, created once and brought in line on later runs."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.audit.models import AuditEntry
from portal.organisations.commands import import_nhs_command, national_data_dir
from portal.organisations.importer import icb_slug, import_all_icbs
from portal.organisations.models import Area, Organisation, OrganisationKind, PcnMembership
from tests.conftest import REPO_ROOT

DATA = REPO_ROOT / "tests" / "data" / "nhs"
MAPPING = DATA / "gp-reg-pat-prac-map_2026-01-01_sample.csv"
TOTALS = DATA / "gp-reg-pat-prac-all_2025-04-01_sample.csv"
PAYMENTS = DATA / "nhspaymentsgp-22-23-prac_sample.csv"
MAPPING_LATER = DATA / "gp-reg-pat-prac-map_2026-02-01_later-month-derived.csv"
TOTALS_LATER = DATA / "gp-reg-pat-prac-all_2025-05-01_later-month-derived.csv"


def expected_per_icb(mapping: Path) -> dict[str, dict[str, Any]]:
    """What each ICB holds, read straight from the CSV with the standard library, not with the
    portal's reader, so a fault in the reader cannot hide itself."""
    found: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"practices": set(), "pcns": set(), "in_a_pcn": 0, "name": ""}
    )
    with mapping.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            icb = found[row["ICB_CODE"]]
            icb["name"] = row["ICB_NAME"]
            icb["practices"].add(row["PRACTICE_CODE"])
            if row["PCN_CODE"] not in ("", "U"):
                icb["pcns"].add(row["PCN_CODE"])
                icb["in_a_pcn"] += 1
    return dict(found)


def held_per_area(db: Any) -> dict[str, dict[str, Any]]:
    """Each ICB-wide area by ICB code: its open practices and PCNs, and open memberships."""
    held: dict[str, dict[str, Any]] = {}
    for area in db.session.scalars(sa.select(Area).where(Area.sub_icb_code.is_(None))):
        codes: dict[OrganisationKind, set[str]] = defaultdict(set)
        for kind, code in db.session.execute(
            sa.select(Organisation.kind, Organisation.ods_code).where(
                Organisation.area_id == area.id, Organisation.closed_on.is_(None)
            )
        ):
            codes[kind].add(code)
        open_memberships = db.session.execute(
            sa.select(sa.func.count())
            .select_from(PcnMembership)
            .join(Organisation, PcnMembership.practice_id == Organisation.id)
            .where(Organisation.area_id == area.id, PcnMembership.valid_to.is_(None))
        ).scalar_one()
        held[area.icb_code or ""] = {
            "slug": area.slug,
            "name": area.name,
            "practices": codes[OrganisationKind.PRACTICE],
            "pcns": codes[OrganisationKind.PCN],
            "in_a_pcn": open_memberships,
        }
    return held


def assert_matches_files(db: Any, mapping: Path) -> None:
    expected = expected_per_icb(mapping)
    held = held_per_area(db)
    assert sorted(held) == sorted(expected)
    for code, icb in expected.items():
        area = held[code]
        assert area["practices"] == icb["practices"], code
        assert area["pcns"] == icb["pcns"], code
        assert area["in_a_pcn"] == icb["in_a_pcn"], code


def audit_count(db: Any) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()


def test_each_icb_gets_its_own_area_with_its_practices_and_pcns(db: Any) -> None:
    reports = import_all_icbs(MAPPING, TOTALS, PAYMENTS)
    db.session.commit()

    assert [report.area_slug for report in reports] == [
        "humber-and-north-yorkshire",
        "nottingham-and-nottinghamshire",
    ]
    assert all(report.area_created for report in reports)
    assert_matches_files(db, MAPPING)
    names = {code: icb["name"] for code, icb in expected_per_icb(MAPPING).items()}
    assert {code: area["name"] for code, area in held_per_area(db).items()} == names
    # One audit entry per area, as an import into each ICB would write.
    assert audit_count(db) == 2


def test_a_second_run_changes_nothing(db: Any) -> None:
    import_all_icbs(MAPPING, TOTALS, PAYMENTS)
    db.session.commit()

    reports = import_all_icbs(MAPPING, TOTALS, PAYMENTS)
    db.session.commit()

    assert not any(report.changed for report in reports)
    assert audit_count(db) == 2
    assert db.session.execute(sa.select(sa.func.count()).select_from(Area)).scalar_one() == 2


def test_an_area_already_made_for_an_icb_is_updated_not_duplicated(db: Any) -> None:
    db.session.add(Area(slug="humber", name="Humber LMC", icb_code="QOQ"))
    # An area of one sub-ICB is not the ICB's area, and a slug already taken is not reused.
    db.session.add(
        Area(
            slug="nottingham-and-nottinghamshire",
            name="Nottingham City only",
            icb_code="QT1",
            sub_icb_code="52R",
        )
    )
    db.session.commit()

    reports = import_all_icbs(MAPPING, TOTALS, PAYMENTS)
    db.session.commit()

    by_code = {report.scope: report for report in reports}
    assert by_code["ICB QOQ"].area_slug == "humber"
    assert not by_code["ICB QOQ"].area_created
    assert by_code["ICB QOQ"].area_name == "Humber LMC"
    assert by_code["ICB QT1"].area_slug == "nottingham-and-nottinghamshire-2"
    assert_matches_files(db, MAPPING)


def test_a_later_file_moves_each_area_forward(db: Any) -> None:
    import_all_icbs(MAPPING, TOTALS, PAYMENTS)
    db.session.commit()

    reports = import_all_icbs(MAPPING_LATER, TOTALS_LATER)
    db.session.commit()

    assert any(report.changed for report in reports)
    assert_matches_files(db, MAPPING_LATER)


def test_slugs_from_published_icb_names() -> None:
    assert icb_slug("NHS Devon Integrated Care Board", "QJK") == "devon"
    assert (
        icb_slug("NHS Bedfordshire, Luton and Milton Keynes Integrated Care Board", "QHG")
        == "bedfordshire-luton-and-milton-keynes"
    )
    assert icb_slug("NHS Integrated Care Board", "QXY") == "qxy"


def test_all_icbs_refuses_an_area_option(app: Flask, db: Any) -> None:
    result = app.test_cli_runner().invoke(
        import_nhs_command,
        ["--all-icbs", "--area", "x", "--mapping", str(MAPPING), "--list-sizes", str(TOTALS)],
    )

    assert result.exit_code == 2
    assert "--all-icbs names its own areas" in result.output
    assert db.session.execute(sa.select(sa.func.count()).select_from(Area)).scalar_one() == 0


def test_all_of_england_from_the_national_files(app: Flask, db: Any) -> None:
    directory = national_data_dir()
    mapping = directory / "gp-reg-pat-prac-map_2026-01-01.csv"
    if not mapping.exists():
        pytest.skip(f"the published England files are not in {directory} (PORTAL_NHS_DATA_DIR)")
    runner = app.test_cli_runner()

    first = runner.invoke(import_nhs_command, ["--all-icbs", "--data-dir", str(directory)])

    assert first.exit_code == 0, first.output
    assert "42 areas, 42 changed." in first.stdout
    db.session.remove()
    assert_matches_files(db, mapping)
    practices = sum(len(area["practices"]) for area in held_per_area(db).values())
    assert practices == 6171

    second = runner.invoke(import_nhs_command, ["--all-icbs", "--data-dir", str(directory)])

    assert second.exit_code == 0, second.output
    assert "42 areas, 0 changed." in second.stdout
    assert "(nothing written)" in second.stdout
    assert audit_count(db) == 42
