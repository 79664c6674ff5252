"""Reading a CSV file: lines with a quote go through the csv module, the others are split at their
commas, and both read the same rows, line numbers and refusals."""

from __future__ import annotations

import csv

import pytest

from portal.organisations.nhs_csv import NhsFileError
from portal.organisations.nhs_files import read_list_sizes

HEADER = b"PUBLICATION,EXTRACT_DATE,TYPE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\n"


def row(code: str, patients: str = "1200", postcode: str = "HU18 1LP") -> bytes:
    return f"GP_PRAC_PAT_LIST,2025-04-01,GP,{code},{postcode},ALL,ALL,{patients}\n".encode()


def test_quoted_and_unquoted_rows_read_alike() -> None:
    data = HEADER + row("B81004") + row("B81006", postcode='"YO15, 2QW"') + row("B81008")

    totals = read_list_sizes(data, file_name="all.csv")

    assert [(r.line, r.practice_code, r.postcode) for r in totals.rows] == [
        (2, "B81004", "HU18 1LP"),
        (3, "B81006", "YO15, 2QW"),
        (4, "B81008", "HU18 1LP"),
    ]


def test_a_row_of_empty_quoted_fields_is_ignored_and_counted_as_its_lines() -> None:
    data = HEADER + row("B81004") + b'"","",""\n' + b'"\n",,\n' + row("B81006", patients="x")

    with pytest.raises(NhsFileError) as error:
        read_list_sizes(data, file_name="all.csv")

    assert (error.value.line, error.value.reason) == (
        6,
        "NUMBER_OF_PATIENTS is not a whole number: 'x'",
    )


def test_a_field_longer_than_the_csv_module_takes_is_refused_as_it_would() -> None:
    longest = csv.field_size_limit()
    data = HEADER + row("B81004") + row("B81006", postcode="X" * (longest + 1))

    with pytest.raises(NhsFileError) as error:
        read_list_sizes(data, file_name="all.csv")

    assert error.value.line == 3
    assert error.value.reason == f"bad CSV: field larger than field limit ({longest})"
