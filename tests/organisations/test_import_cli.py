"""``flask import-nhs``: exit codes, messages, one commit, and all of England."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.audit.models import AuditEntry
from portal.organisations.commands import import_nhs_command, national_data_dir
from portal.organisations.models import (
    Area,
    ListSizeMeasure,
    ListSizeRecord,
    Organisation,
    OrganisationKind,
    PcnMembership,
)
from tests.conftest import REPO_ROOT

DATA = REPO_ROOT / "tests" / "data" / "nhs"
MAPPING = DATA / "gp-reg-pat-prac-map_2026-01-01_sample.csv"
TOTALS = DATA / "gp-reg-pat-prac-all_2025-04-01_sample.csv"
PAYMENTS = DATA / "nhspaymentsgp-22-23-prac_sample.csv"
MAPPING_LATER = DATA / "gp-reg-pat-prac-map_2026-02-01_later-month-derived.csv"
TOTALS_LATER = DATA / "gp-reg-pat-prac-all_2025-05-01_later-month-derived.csv"
TOTALS_BROKEN = DATA / "gp-reg-pat-prac-all_2025-04-01_broken-non-numeric.csv"
MAPPING_MISSING_COLUMN = DATA / "gp-reg-pat-prac-map_2026-01-01_broken-missing-column.csv"
ENGLAND = national_data_dir()


def run(app: Flask, *arguments: Any) -> Any:
    return app.test_cli_runner().invoke(import_nhs_command, [str(a) for a in arguments])


def sample_arguments(*extra: Any) -> list[Any]:
    return [
        "--mapping",
        MAPPING,
        "--list-sizes",
        TOTALS,
        "--payments",
        PAYMENTS,
        "--icb",
        "QOQ",
        "--area",
        "humber",
        *extra,
    ]


def count(db: Any, model: Any, *where: Any) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def test_command_is_registered_as_import_nhs(app: Flask) -> None:
    assert app.cli.get_command(None, "import-nhs") is import_nhs_command  # type: ignore[arg-type]


def test_import_commits_and_prints_the_report(app: Flask, db: Any) -> None:
    result = run(app, *sample_arguments())

    assert result.exit_code == 0, result.output
    assert "Area humber: NHS Humber and North Yorkshire Integrated Care Board [ICB QOQ]" in (
        result.stdout
    )
    assert "New practices (34):" in result.stdout
    assert "New PCNs (13):" in result.stdout
    assert "Done in " in result.stdout
    assert result.stderr == ""
    db.session.remove()  # read what the command committed, in a fresh session
    assert count(db, Organisation, Organisation.kind == OrganisationKind.PRACTICE) == 34
    assert count(db, AuditEntry) == 1


def test_second_run_reports_no_changes(app: Flask, db: Any) -> None:
    assert run(app, *sample_arguments()).exit_code == 0

    result = run(app, *sample_arguments())

    assert result.exit_code == 0, result.output
    assert "No changes." in result.stdout
    assert "(nothing written)" in result.stdout
    assert count(db, AuditEntry) == 1


def test_later_month_through_the_command(app: Flask, db: Any) -> None:
    assert run(app, *sample_arguments()).exit_code == 0

    result = run(
        app,
        "--mapping",
        MAPPING_LATER,
        "--list-sizes",
        TOTALS_LATER,
        "--payments",
        PAYMENTS,
        "--area",
        "humber",
    )

    assert result.exit_code == 0, result.output
    assert "Moved practices (1):\n  B81100 DR AC MILNER: U28348 -> U97785" in result.stdout
    assert "Closed practices (1):\n  B81025 HOLDERNESS HEALTH" in result.stdout


def test_broken_file_is_refused_with_file_and_line(app: Flask, db: Any) -> None:
    result = run(
        app,
        "--mapping",
        MAPPING,
        "--list-sizes",
        TOTALS_BROKEN,
        "--payments",
        PAYMENTS,
        "--icb",
        "QOQ",
        "--area",
        "humber",
    )

    assert result.exit_code == 1
    assert result.stderr == (
        f"Refused: {TOTALS_BROKEN.name}, line 24: "
        "NUMBER_OF_PATIENTS is not a whole number: '7,497'\n"
    )
    assert result.stdout == ""
    for model in (Area, Organisation, PcnMembership, ListSizeRecord, AuditEntry):
        assert count(db, model) == 0


def test_missing_column_is_refused(app: Flask, db: Any) -> None:
    result = run(
        app, "--mapping", MAPPING_MISSING_COLUMN, "--list-sizes", TOTALS, "--area", "humber"
    )

    assert result.exit_code == 1
    assert result.stderr == (
        f"Refused: {MAPPING_MISSING_COLUMN.name}, line 1: the header has no column PCN_CODE\n"
    )
    assert count(db, Area) == 0


def test_wrong_icb_for_the_area_is_refused(app: Flask, db: Any) -> None:
    assert run(app, *sample_arguments()).exit_code == 0

    result = run(
        app, "--mapping", MAPPING, "--list-sizes", TOTALS, "--icb", "QT1", "--area", "humber"
    )

    assert result.exit_code == 1
    assert result.stderr.startswith("Refused: area humber covers ICB QOQ, not ICB QT1")
    assert count(db, AuditEntry) == 1


def test_payments_date_option(app: Flask, db: Any) -> None:
    result = run(app, *sample_arguments("--payments-date", "2023-02-28"))

    assert result.exit_code == 0, result.output
    assert "as of 2023-02-28" in result.stdout
    dates = db.session.execute(
        sa.select(ListSizeRecord.as_of)
        .distinct()
        .where(ListSizeRecord.measure == ListSizeMeasure.WEIGHTED)
    ).scalars()
    assert [d.isoformat() for d in dates] == ["2023-02-28"]


def test_sub_icb_and_area_name_options(app: Flask, db: Any) -> None:
    result = run(
        app,
        "--mapping",
        MAPPING,
        "--list-sizes",
        TOTALS,
        "--sub-icb",
        "02q",
        "--area",
        "bassetlaw",
        "--area-name",
        "Bassetlaw",
    )

    assert result.exit_code == 0, result.output
    area = db.session.execute(sa.select(Area)).scalar_one()
    assert (area.slug, area.name, area.icb_code, area.sub_icb_code) == (
        "bassetlaw",
        "Bassetlaw",
        "QT1",
        "02Q",
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--payments-date", "31/03/2023"], "is not a date like 2023-03-31"),
        (["--list-sizes", "/nowhere/at/all.csv"], "does not exist"),
    ],
)
def test_bad_options_are_usage_errors(app: Flask, db: Any, extra: list[str], message: str) -> None:
    result = run(app, *sample_arguments(*extra))

    assert result.exit_code == 2
    assert message in result.output
    assert count(db, Area) == 0


def test_payments_date_without_payments_is_a_usage_error(app: Flask, db: Any) -> None:
    result = run(
        app,
        "--mapping",
        MAPPING,
        "--list-sizes",
        TOTALS,
        "--payments-date",
        "2023-03-31",
        "--area",
        "humber",
    )

    assert result.exit_code == 2
    assert "--payments-date needs --payments" in result.output


def test_area_is_required(app: Flask, db: Any) -> None:
    result = run(app, "--mapping", MAPPING, "--list-sizes", TOTALS)
    assert result.exit_code == 2
    assert "--area" in result.output


# --- all of England ---------------------------------------------------------------------------


def england_files() -> tuple[Path, Path, Path]:
    files = (
        ENGLAND / "gp-reg-pat-prac-map_2026-01-01.csv",
        ENGLAND / "gp-reg-pat-prac-all_2025-04-01.csv",
        ENGLAND / "nhspaymentsgp-22-23-prac.csv",
    )
    missing = [path.name for path in files if not path.exists()]
    if missing:
        pytest.skip(
            f"the published England files are not in {ENGLAND} (../shared/data/nhs beside the "
            f"repository): {', '.join(missing)}"
        )
    return files


def test_all_of_england_imports_and_reimports_with_no_changes(app: Flask, db: Any) -> None:
    mapping, totals, payments = england_files()
    arguments = [
        "--mapping",
        mapping,
        "--list-sizes",
        totals,
        "--payments",
        payments,
        "--area",
        "england",
    ]

    first = run(app, *arguments)

    assert first.exit_code == 0, first.output
    assert "6,171 practices in 1,298 PCNs" in first.stdout
    assert "New practices (6,171):" in first.stdout
    practice = Organisation.kind == OrganisationKind.PRACTICE
    assert count(db, Organisation, practice) == 6171
    assert count(db, Organisation, Organisation.kind == OrganisationKind.PCN) == 1298
    # 59 practices are in no PCN.
    assert count(db, PcnMembership) == 6171 - 59
    registered = ListSizeRecord.measure == ListSizeMeasure.REGISTERED
    assert count(db, ListSizeRecord, registered) == 6171
    # 19 practices opened after 2022-23 and have no weighted list size yet.
    assert count(db, ListSizeRecord, ListSizeRecord.measure == ListSizeMeasure.WEIGHTED) == 6152
    assert "Practices without a weighted list size (19):" in first.stdout

    second = run(app, *arguments)

    assert second.exit_code == 0, second.output
    assert "No changes." in second.stdout
    assert count(db, AuditEntry) == 1
    assert count(db, ListSizeRecord) == 6171 + 6152
