"""Reading the published NHS files: real samples parse, and every refusal names file and line."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from portal.organisations.commands import national_data_dir
from portal.organisations.nhs_files import (
    NhsFileError,
    financial_year_end,
    parse_extract_date,
    read_list_sizes,
    read_mapping,
    read_payments,
)
from tests.conftest import REPO_ROOT

DATA = REPO_ROOT / "tests" / "data" / "nhs"
MAPPING = DATA / "gp-reg-pat-prac-map_2026-01-01_sample.csv"
TOTALS = DATA / "gp-reg-pat-prac-all_2025-04-01_sample.csv"
PAYMENTS = DATA / "nhspaymentsgp-22-23-prac_sample.csv"
MAPPING_LATER = DATA / "gp-reg-pat-prac-map_2026-02-01_later-month-derived.csv"
TOTALS_LATER = DATA / "gp-reg-pat-prac-all_2025-05-01_later-month-derived.csv"
DEMO = REPO_ROOT / "portal" / "demo" / "data"
# The published files: ../shared/data/nhs beside the repository, or PORTAL_NHS_DATA_DIR.
ENGLAND = national_data_dir()


def derived(tmp_path: Path, source: Path, name: str, edit: object) -> Path:
    """A copy of ``source`` named ``name`` with ``edit`` (bytes -> bytes) applied."""
    target = tmp_path / name
    target.write_bytes(edit(source.read_bytes()))  # type: ignore[operator]
    return target


def refusal(error: pytest.ExceptionInfo[NhsFileError]) -> tuple[str, int, str]:
    return error.value.file_name, error.value.line, error.value.reason


# --- the real samples -------------------------------------------------------------------------


def test_mapping_sample_parses_with_line_numbers_and_quoted_commas() -> None:
    mapping = read_mapping(MAPPING)

    assert mapping.file_name == MAPPING.name
    assert mapping.extract_date == date(2026, 1, 1)
    assert len(mapping.rows) == 44
    first = mapping.rows[0]
    assert first.line == 2
    assert first.practice_code == "B81004"
    assert first.practice_name == "EASTGATE MEDICAL GROUP, HORNSEA"
    assert first.postcode == "HU18 1LP"
    assert (first.pcn_code, first.pcn_name) == ("U89699", "YORKSHIRE COAST & WOLDS PCN")
    assert (first.sub_icb_code, first.icb_code) == ("02Y", "QOQ")
    assert first.icb_name == "NHS Humber and North Yorkshire Integrated Care Board"
    assert mapping.rows[-1].line == 45
    assert {row.icb_code for row in mapping.rows} == {"QOQ", "QT1"}
    assert {row.sub_icb_code for row in mapping.rows} == {"02Y", "03Q", "02Q"}


def test_mapping_unallocated_practice_has_no_pcn() -> None:
    rows = {row.practice_code: row for row in read_mapping(MAPPING).rows}

    assert rows["Y08082"].pcn_code is None
    assert rows["Y08082"].pcn_name is None
    assert rows["Y08082"].practice_name == "BASSETLAW SAS PRACTICE"


def test_mapping_rows_are_frozen() -> None:
    row = read_mapping(MAPPING).rows[0]
    with pytest.raises(AttributeError):
        row.practice_code = "X00000"  # type: ignore[misc]


def test_totals_sample_parses() -> None:
    totals = read_list_sizes(TOTALS)

    assert totals.extract_date == date(2025, 4, 1)
    assert len(totals.rows) == 44
    assert totals.skipped_rows == 0
    sizes = {row.practice_code: row.patients for row in totals.rows}
    assert sizes["B81009"] == 9049
    assert sizes["Y08082"] == 8
    assert totals.rows[0].line == 2


def test_totals_skips_rows_that_are_not_practice_totals(tmp_path: Path) -> None:
    def add_breakdowns(data: bytes) -> bytes:
        return (
            data
            + b"GP_PRAC_PAT_LIST,2025-04-01,GP,02Y,E38000052,B81004,HU18 1LP,MALE,ALL,6000\r\n"
            + b"GP_PRAC_PAT_LIST,2025-04-01,GP,02Y,E38000052,B81004,HU18 1LP,ALL,0_4,300\r\n"
            + b"GP_PRAC_PAT_LIST,2025-04-01,ICB,02Y,E38000052,QOQ,,ALL,ALL,999999\r\n"
        )

    totals = read_list_sizes(derived(tmp_path, TOTALS, "all.csv", add_breakdowns))

    assert len(totals.rows) == 44
    assert totals.skipped_rows == 3


def test_payments_sample_parses_with_bom_and_financial_year() -> None:
    payments = read_payments(PAYMENTS)

    assert PAYMENTS.read_bytes().startswith(b"\xef\xbb\xbf")
    assert payments.as_of == date(2023, 3, 31)
    assert payments.financial_year == "2022-23"
    assert len(payments.rows) == 45
    rows = {row.practice_code: row for row in payments.rows}
    assert rows["B81009"].weighted_patients == Decimal("9754.93")
    assert rows["B81009"].registered_patients == Decimal("9371.75")
    assert rows["B81009"].pcn_code == "U28348"
    assert rows["B81009"].pcn_name == "HARTHILL EAST RIDING PCN"
    assert rows["B81009"].sub_icb_code == "02Y"
    assert "Y08082" not in rows  # opened after 2022-23
    assert payments.rows[0].line == 2


def test_payments_as_of_given_by_the_caller_wins() -> None:
    payments = read_payments(PAYMENTS, as_of=date(2023, 1, 31))
    assert payments.as_of == date(2023, 1, 31)


def test_payments_without_pcn_reads_as_none(tmp_path: Path) -> None:
    path = derived(
        tmp_path,
        PAYMENTS,
        "nhspaymentsgp-22-23-prac.csv",
        lambda data: data.replace(b",U87666,APOLLO PCN,", b",Unknown or no PCN,Unknown or no PCN,"),
    )
    rows = {row.practice_code: row for row in read_payments(path).rows}
    assert rows["B81003"].pcn_code is None
    assert rows["B81003"].pcn_name is None


def test_later_month_derived_files_parse() -> None:
    mapping = read_mapping(MAPPING_LATER)
    totals = read_list_sizes(TOTALS_LATER)

    assert mapping.extract_date == date(2026, 2, 1)
    assert totals.extract_date == date(2025, 5, 1)
    codes = {row.practice_code for row in mapping.rows}
    assert "B81003" in codes
    assert "B81025" not in codes
    assert {row.practice_code: row.patients for row in totals.rows}["B81009"] == 9112


def test_demo_files_hold_staffordshire_and_stoke_on_trent() -> None:
    mapping = read_mapping(DEMO / "gp-reg-pat-prac-map_2026-01-01_QNC.csv")
    totals = read_list_sizes(DEMO / "gp-reg-pat-prac-all_2025-04-01_QNC.csv")
    payments = read_payments(DEMO / "nhspaymentsgp-22-23-prac_QNC.csv")

    assert len(mapping.rows) == 141
    assert {row.icb_code for row in mapping.rows} == {"QNC"}
    assert len({row.pcn_code for row in mapping.rows}) == 25
    assert sum(row.patients for row in totals.rows) == 1_207_013
    assert {row.practice_code for row in totals.rows} == {row.practice_code for row in mapping.rows}
    assert {row.practice_code for row in payments.rows} == {
        row.practice_code for row in mapping.rows
    }


def test_blank_lines_and_empty_spreadsheet_rows_are_ignored(tmp_path: Path) -> None:
    path = derived(tmp_path, TOTALS, "all.csv", lambda data: data + b"\r\n,,,,,,,,,\r\n\r\n\r\n")
    assert len(read_list_sizes(path).rows) == 44


def test_line_numbers_count_physical_lines_after_a_quoted_line_break(tmp_path: Path) -> None:
    def break_a_name(data: bytes) -> bytes:
        return data.replace(
            b'"EASTGATE MEDICAL GROUP, HORNSEA"', b'"EASTGATE MEDICAL GROUP,\nHORNSEA"'
        )

    rows = read_mapping(derived(tmp_path, MAPPING, "map.csv", break_a_name)).rows
    assert rows[0].practice_name == "EASTGATE MEDICAL GROUP, HORNSEA"
    assert (rows[0].line, rows[1].line) == (2, 4)


def test_text_input_and_upload_bytes_are_accepted() -> None:
    mapping = read_mapping(MAPPING.read_bytes(), file_name="upload.csv")
    assert mapping.file_name == "upload.csv"
    assert len(mapping.rows) == 44


# --- refusals ---------------------------------------------------------------------------------


def test_non_numeric_list_size_is_refused_with_its_line() -> None:
    path = DATA / "gp-reg-pat-prac-all_2025-04-01_broken-non-numeric.csv"
    with pytest.raises(NhsFileError) as error:
        read_list_sizes(path)

    assert refusal(error) == (
        path.name,
        24,
        "NUMBER_OF_PATIENTS is not a whole number: '7,497'",
    )
    assert str(error.value) == (
        "gp-reg-pat-prac-all_2025-04-01_broken-non-numeric.csv, line 24: "
        "NUMBER_OF_PATIENTS is not a whole number: '7,497'"
    )


def test_missing_column_is_refused_on_line_one() -> None:
    path = DATA / "gp-reg-pat-prac-map_2026-01-01_broken-missing-column.csv"
    with pytest.raises(NhsFileError) as error:
        read_mapping(path)

    assert refusal(error) == (path.name, 1, "the header has no column PCN_CODE")


def test_several_missing_columns_are_all_named(tmp_path: Path) -> None:
    path = derived(
        tmp_path,
        PAYMENTS,
        "nhspaymentsgp-22-23-prac.csv",
        lambda data: data.replace(b"Practice Code,", b"Prac Code,").replace(
            b"Number of Weighted Patients (Last Known Figure)", b"Weighted"
        ),
    )
    with pytest.raises(NhsFileError) as error:
        read_payments(path)

    assert error.value.line == 1
    assert error.value.reason == (
        "the header has no columns Practice Code, Number of Weighted Patients (Last Known Figure)"
    )


def test_duplicate_practice_is_refused_at_its_second_line() -> None:
    path = DATA / "gp-reg-pat-prac-map_2026-01-01_broken-duplicate-practice.csv"
    with pytest.raises(NhsFileError) as error:
        read_mapping(path)

    assert refusal(error) == (path.name, 22, "practice B81042 appears twice (also on line 13)")


def test_negative_list_size_is_refused(tmp_path: Path) -> None:
    path = derived(
        tmp_path, TOTALS, "all.csv", lambda data: data.replace(b",9049\r\n", b",-9049\r\n")
    )
    with pytest.raises(NhsFileError) as error:
        read_list_sizes(path)

    assert refusal(error) == ("all.csv", 4, "NUMBER_OF_PATIENTS must not be negative: '-9049'")


def test_malformed_weighted_list_size_is_refused(tmp_path: Path) -> None:
    path = derived(
        tmp_path,
        PAYMENTS,
        "nhspaymentsgp-22-23-prac.csv",
        lambda data: data.replace(b",9754.93,", b",9754.9.3,"),
    )
    with pytest.raises(NhsFileError) as error:
        read_payments(path)

    assert error.value.line == 5
    assert error.value.reason == (
        "Number of Weighted Patients (Last Known Figure) is not a number: '9754.9.3'"
    )


def test_empty_list_size_is_refused(tmp_path: Path) -> None:
    path = derived(tmp_path, TOTALS, "all.csv", lambda data: data.replace(b",9049\r\n", b",\r\n"))
    with pytest.raises(NhsFileError) as error:
        read_list_sizes(path)

    assert refusal(error) == ("all.csv", 4, "NUMBER_OF_PATIENTS is empty")


def test_bad_practice_code_is_refused(tmp_path: Path) -> None:
    path = derived(tmp_path, MAPPING, "map.csv", lambda data: data.replace(b",B81009,", b",B8100,"))
    with pytest.raises(NhsFileError) as error:
        read_mapping(path)

    assert refusal(error) == (
        "map.csv",
        4,
        "PRACTICE_CODE 'B8100' is not a practice code (like A81001)",
    )


def test_bad_pcn_code_is_refused(tmp_path: Path) -> None:
    path = derived(
        tmp_path, MAPPING, "map.csv", lambda data: data.replace(b",U56223,", b",X56223,", 1)
    )
    with pytest.raises(NhsFileError) as error:
        read_mapping(path)

    assert error.value.line == 3
    assert error.value.reason.startswith("PCN_CODE 'X56223' is not a PCN code")


def test_unreadable_extract_date_is_refused(tmp_path: Path) -> None:
    path = derived(
        tmp_path, MAPPING, "map.csv", lambda data: data.replace(b",01Jan2026,", b",31Feb2026,", 1)
    )
    with pytest.raises(NhsFileError) as error:
        read_mapping(path)

    assert refusal(error) == (
        "map.csv",
        2,
        "EXTRACT_DATE '31Feb2026' is not a date (like 01Jan2026 or 2026-01-01)",
    )


def test_two_extract_dates_in_one_file_are_refused(tmp_path: Path) -> None:
    def second_extract_on_line_10(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[9] = lines[9].replace(b",2025-04-01,", b",2025-05-01,")
        return b"\n".join(lines)

    path = derived(tmp_path, TOTALS, "all.csv", second_extract_on_line_10)
    with pytest.raises(NhsFileError) as error:
        read_list_sizes(path)

    assert refusal(error) == (
        "all.csv",
        10,
        "EXTRACT_DATE 2025-05-01 differs from 2025-04-01 on line 2: a file holds one extract",
    )


def test_row_with_too_few_fields_is_refused(tmp_path: Path) -> None:
    path = derived(
        tmp_path,
        TOTALS,
        "all.csv",
        lambda data: data.replace(b",ALL,ALL,9049\r\n", b",ALL,9049\r\n"),
    )
    with pytest.raises(NhsFileError) as error:
        read_list_sizes(path)

    assert refusal(error) == ("all.csv", 4, "the row has 9 fields where the header has 10")


def test_broken_quoting_is_refused_at_its_line(tmp_path: Path) -> None:
    path = derived(
        tmp_path,
        MAPPING,
        "map.csv",
        lambda data: data.replace(
            b'"THE MEDICAL CENTRE, DRIFFIELD"', b'"THE MEDICAL CENTRE" DRIFFIELD'
        ),
    )
    with pytest.raises(NhsFileError) as error:
        read_mapping(path)

    assert error.value.line == 20
    assert error.value.reason.startswith("bad CSV: ")


def test_empty_and_header_only_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = derived(
        tmp_path, MAPPING, "header.csv", lambda data: data.split(b"\n")[0] + b"\n"
    )

    with pytest.raises(NhsFileError) as error:
        read_mapping(empty)
    assert refusal(error) == ("empty.csv", 1, "the file is empty")
    with pytest.raises(NhsFileError) as error:
        read_mapping(header_only)
    assert refusal(error) == ("header.csv", 1, "the file has no practice rows")


def test_file_that_is_not_utf8_is_refused_at_the_bad_line(tmp_path: Path) -> None:
    path = derived(
        tmp_path,
        MAPPING,
        "map.csv",
        lambda data: data.replace(b"HUMBER PRIMARY", b"HUMBER PRIM\xe6RY"),
    )
    with pytest.raises(NhsFileError) as error:
        read_mapping(path)

    assert refusal(error) == ("map.csv", 3, "the file is not UTF-8 text")


def test_payments_file_name_without_a_year_needs_a_date(tmp_path: Path) -> None:
    path = derived(tmp_path, PAYMENTS, "payments.csv", lambda data: data)
    with pytest.raises(NhsFileError) as error:
        read_payments(path)

    assert error.value.file_name == "payments.csv"
    assert error.value.line == 1
    assert "financial year" in error.value.reason
    assert read_payments(path, as_of=date(2024, 3, 31)).as_of == date(2024, 3, 31)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NhsFileError) as error:
        read_mapping(tmp_path / "nowhere.csv")
    assert error.value.file_name == "nowhere.csv"
    assert error.value.reason.startswith("cannot read the file")


# --- small pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nhspaymentsgp-22-23-prac.csv", ("2022-23", date(2023, 3, 31))),
        ("nhspaymentsgp-2023-24-prac.csv", ("2023-24", date(2024, 3, 31))),
        ("/some/where/nhspaymentsgp-19-20-prac_QNC.csv", ("2019-20", date(2020, 3, 31))),
        ("payments_2023-03-31.csv", None),
        ("payments.csv", None),
    ],
)
def test_financial_year_from_file_name(name: str, expected: object) -> None:
    assert financial_year_end(name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01Jan2026", date(2026, 1, 1)),
        ("1jan2026", date(2026, 1, 1)),
        ("29Feb2024", date(2024, 2, 29)),
        ("2025-04-01", date(2025, 4, 1)),
        ("29Feb2025", None),
        ("01Foo2026", None),
        ("2025-13-01", None),
        ("01/04/2025", None),
        ("", None),
    ],
)
def test_parse_extract_date(text: str, expected: date | None) -> None:
    assert parse_extract_date(text) == expected


def test_error_string_names_file_and_line() -> None:
    error = NhsFileError("x.csv", 7, "something is wrong")
    assert str(error) == "x.csv, line 7: something is wrong"
    assert error.message == str(error)


# --- all of England ---------------------------------------------------------------------------


def england_file(name: str) -> Path:
    path = ENGLAND / name
    if not path.exists():
        pytest.skip(f"the published England files are not at {ENGLAND} (PORTAL_NHS_DATA_DIR)")
    return path


@pytest.mark.parametrize(
    ("name", "reader", "rows"),
    [
        ("gp-reg-pat-prac-map_2026-01-01.csv", read_mapping, 6171),
        ("gp-reg-pat-prac-all_2025-04-01.csv", read_list_sizes, 6239),
        ("nhspaymentsgp-22-23-prac.csv", read_payments, 6669),
    ],
)
def test_all_of_england_parses_fast(name: str, reader: object, rows: int) -> None:
    path = england_file(name)
    started = time.perf_counter()
    parsed = reader(path)  # type: ignore[operator]
    elapsed = time.perf_counter() - started

    assert len(parsed.rows) == rows
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"


def test_all_of_england_mapping_has_every_pcn() -> None:
    mapping = read_mapping(england_file("gp-reg-pat-prac-map_2026-01-01.csv"))
    pcns = {row.pcn_code for row in mapping.rows if row.pcn_code}
    unallocated = [row for row in mapping.rows if row.pcn_code is None]

    assert len(pcns) == 1298  # 1,299 PCN codes in the file, one of them the bare "U"
    assert len(unallocated) == 59
    assert len({row.icb_code for row in mapping.rows}) == 42
