"""Reading the three NHS England files the portal imports, in their published formats.

Pure parsing: no Flask, no database. Each file is read whole, checked row by row, and either
returned as frozen rows (each with its line number in the file) or refused with an
``NhsFileError`` naming the file, the line and the reason, e.g.
``gp-reg-pat-prac-all.csv, line 7: NUMBER_OF_PATIENTS is not a whole number: '12a4'``.

The files (Open Government Licence v3.0, source NHS England):

* the mapping file ``gp-reg-pat-prac-map.csv`` of "Patients Registered at a GP Practice": one row
  per open practice with its PCN, sub-ICB location and ICB, and an ``EXTRACT_DATE`` written
  ``01Jan2026``. A practice in no PCN has ``PCN_CODE`` ``U`` ("Unallocated").
* the totals file ``gp-reg-pat-prac-all.csv`` of the same publication: registered patients per
  practice, ``EXTRACT_DATE`` written ``2025-04-01``. Only practice rows (``TYPE`` ``GP``) with
  ``SEX`` ``ALL`` and ``AGE`` ``ALL`` are read; any other row is skipped and counted. (The
  published file holds only such rows; other breakdowns live in other files.)
* the practice-level CSV of "NHS Payments to General Practice" (``nhspaymentsgp-22-23-prac.csv``),
  which starts with a byte-order mark. There ``Code`` is the PCN code, ``CCG NAME`` the PCN name
  and ``CCG Code`` the sub-ICB code; the registered and weighted (Carr-Hill) list sizes are
  averages over the year, with decimals. The file has no date column: its as-of date is the last
  day of the financial year named in the file name (``22-23`` -> 31 March 2023) unless the caller
  passes one.

Common rules: the header must hold every required column (else an error on line 1 naming the
missing ones); a byte-order mark is ignored; quoted commas are handled by the ``csv`` module;
blank lines (and rows of empty fields, as spreadsheets leave at the end) are ignored; a row with
more or fewer fields than the header is refused (these four are ``nhs_csv``'s); a practice code
appearing twice is refused; a file whose rows carry different extract dates is refused; a file
with no data rows is refused. A column's repeated values (ICB, sub-ICB, PCN) are checked once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, TypeVar

from portal.organisations.nhs_csv import CsvTable, NhsFileError, read_source

# ODS codes. Practices: a letter then five letters or digits (A81001, Y08082). PCNs: U and five
# digits; the mapping file writes a bare "U" (name "Unallocated") for a practice in no PCN.
PRACTICE_CODE = re.compile(r"[A-Z][A-Z0-9]{5}")
PCN_CODE = re.compile(r"U\d{5}")
NO_PCN_CODES = frozenset({"", "U"})
# ICB (QNC), sub-ICB location (05W, or the newer five-character codes such as D2P2L).
AREA_CODE = re.compile(r"[A-Z0-9]{2,8}")
WHOLE_NUMBER = re.compile(r"\d+")
DECIMAL_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
# A sanity bound well above any practice (the largest has about 100,000 patients) and inside the
# database columns (list_size is a 32-bit integer, list sizes are NUMERIC(12, 2)).
MAXIMUM_PATIENTS = 10_000_000
MAXIMUM_NAME_LENGTH = 200
MAXIMUM_POSTCODE_LENGTH = 10
MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})([A-Za-z]{3})(\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# "nhspaymentsgp-22-23-prac.csv", "...-2022-23-..." : two years, the second one after the first.
FINANCIAL_YEAR = re.compile(r"(?<!\d)(?:20)?(\d{2})[-_](\d{2})(?!\d)")


class MappingRow(NamedTuple):
    """A practice and where it sits: its PCN (None when in no PCN), sub-ICB and ICB."""

    line: int
    practice_code: str
    practice_name: str
    postcode: str | None
    pcn_code: str | None
    pcn_name: str | None
    sub_icb_code: str
    sub_icb_name: str
    icb_code: str
    icb_name: str


class ListSizeRow(NamedTuple):
    """Registered patients of one practice (totals file, SEX=ALL, AGE=ALL)."""

    line: int
    practice_code: str
    postcode: str | None
    sub_icb_code: str | None
    patients: int


class PaymentsRow(NamedTuple):
    """One practice of the payments file: its average registered and weighted patients."""

    line: int
    practice_code: str
    practice_name: str | None
    pcn_code: str | None
    pcn_name: str | None
    sub_icb_code: str | None
    registered_patients: Decimal
    weighted_patients: Decimal


@dataclass(frozen=True, slots=True)
class MappingFile:
    file_name: str
    extract_date: date
    rows: tuple[MappingRow, ...]


@dataclass(frozen=True, slots=True)
class ListSizeFile:
    file_name: str
    extract_date: date
    rows: tuple[ListSizeRow, ...]
    # Rows that are not practice totals (another TYPE, or a SEX/AGE breakdown).
    skipped_rows: int = 0


@dataclass(frozen=True, slots=True)
class PaymentsFile:
    file_name: str
    as_of: date
    rows: tuple[PaymentsRow, ...]
    # "2022-23" when the file name says it, else None.
    financial_year: str | None = None


# --- field checks -------------------------------------------------------------------------------


class _Fields:
    """Checks for the fields of one file; each failure names the file and the line."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self._dates: dict[str, date] = {}

    def fail(self, line: int, reason: str) -> NhsFileError:
        return NhsFileError(self.file_name, line, reason)

    def practice_code(self, line: int, column: str, value: str) -> str:
        code = value.strip().upper()
        if not PRACTICE_CODE.fullmatch(code):
            raise self.fail(
                line, f"{column} {value.strip()!r} is not a practice code (like A81001)"
            )
        return code

    def area_code(self, line: int, column: str, value: str) -> str:
        code = value.strip().upper()
        if not AREA_CODE.fullmatch(code):
            raise self.fail(line, f"{column} {value.strip()!r} is not an ICB or sub-ICB code")
        return code

    def text(self, line: int, column: str, value: str, maximum: int = MAXIMUM_NAME_LENGTH) -> str:
        text = " ".join(value.split())
        if not text:
            raise self.fail(line, f"{column} is empty")
        if len(text) > maximum:
            raise self.fail(line, f"{column} is longer than {maximum} characters")
        return text

    def optional_text(
        self, line: int, column: str, value: str, maximum: int = MAXIMUM_NAME_LENGTH
    ) -> str | None:
        text = " ".join(value.split())
        if len(text) > maximum:
            raise self.fail(line, f"{column} is longer than {maximum} characters")
        return text or None

    def whole_number(self, line: int, column: str, value: str) -> int:
        text = value.strip()
        if not WHOLE_NUMBER.fullmatch(text):
            raise self.fail(line, self._number_problem(column, text, "a whole number"))
        number = int(text)
        if number >= MAXIMUM_PATIENTS:
            raise self.fail(line, f"{column} is implausibly large: {text}")
        return number

    def decimal(self, line: int, column: str, value: str) -> Decimal:
        text = value.strip()
        if not DECIMAL_NUMBER.fullmatch(text):
            raise self.fail(line, self._number_problem(column, text, "a number"))
        number = Decimal(text)
        if number >= MAXIMUM_PATIENTS:
            raise self.fail(line, f"{column} is implausibly large: {text}")
        return number

    @staticmethod
    def _number_problem(column: str, text: str, kind: str) -> str:
        if not text:
            return f"{column} is empty"
        if text.startswith("-") and DECIMAL_NUMBER.fullmatch(text[1:]):
            return f"{column} must not be negative: {text!r}"
        return f"{column} is not {kind}: {text!r}"

    def extract_date(self, line: int, column: str, value: str) -> date:
        text = value.strip()
        known = self._dates.get(text)
        if known is not None:
            return known
        parsed = parse_extract_date(text)
        if parsed is None:
            raise self.fail(line, f"{column} {text!r} is not a date (like 01Jan2026 or 2026-01-01)")
        self._dates[text] = parsed
        return parsed


def parse_extract_date(text: str) -> date | None:
    """``01Jan2026`` (mapping file) or ``2025-04-01`` (totals file); None if neither."""
    text = text.strip()
    try:
        if match := DAY_MONTH_YEAR.fullmatch(text):
            month = MONTHS.get(match.group(2).lower())
            if month is None:
                return None
            return date(int(match.group(3)), month, int(match.group(1)))
        if match := ISO_DATE.fullmatch(text):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


class _OneDate:
    """Every row of a file must carry the same extract date."""

    def __init__(self, fields: _Fields, column: str) -> None:
        self.fields = fields
        self.column = column
        self.value: date | None = None
        self.text: str | None = None
        self.line = 0

    def check(self, line: int, text: str) -> date:
        text = text.strip()
        if text == self.text and self.value is not None:
            return self.value
        parsed = self.fields.extract_date(line, self.column, text)
        if self.value is None:
            self.value, self.text, self.line = parsed, text, line
        elif parsed != self.value:
            raise self.fields.fail(
                line,
                f"{self.column} {text} differs from {self.text} on line {self.line}: "
                "a file holds one extract",
            )
        return parsed


class _Once:
    """Refuses a practice code seen before in the same file."""

    def __init__(self, fields: _Fields) -> None:
        self.fields = fields
        self.seen: dict[str, int] = {}

    def check(self, line: int, code: str) -> None:
        first = self.seen.setdefault(code, line)
        if first != line:
            raise self.fields.fail(line, f"practice {code} appears twice (also on line {first})")


CheckedValue = TypeVar("CheckedValue")


class _Checked(dict[str, CheckedValue]):
    """One column's values already checked, by their text in the file: a file repeats each
    ICB, sub-ICB and PCN row after row, and each text is checked on its first row only."""

    def __init__(self, check: Callable[[int, str, str], CheckedValue], column: str) -> None:
        super().__init__()
        self._check = check
        self._column = column

    def check(self, line: int, text: str) -> CheckedValue:
        self[text] = value = self._check(line, self._column, text)
        return value


# --- the three files ----------------------------------------------------------------------------

MAPPING_REQUIRED = {
    "extract_date": ("EXTRACT_DATE",),
    "practice_code": ("PRACTICE_CODE",),
    "practice_name": ("PRACTICE_NAME",),
    "postcode": ("PRACTICE_POSTCODE",),
    "pcn_code": ("PCN_CODE",),
    "pcn_name": ("PCN_NAME",),
    "sub_icb_code": ("SUB_ICB_LOCATION_CODE",),
    "sub_icb_name": ("SUB_ICB_LOCATION_NAME",),
    "icb_code": ("ICB_CODE",),
    "icb_name": ("ICB_NAME",),
}

LIST_SIZES_REQUIRED = {
    "extract_date": ("EXTRACT_DATE",),
    "type": ("TYPE",),
    "code": ("CODE",),
    "sex": ("SEX",),
    "age": ("AGE",),
    "patients": ("NUMBER_OF_PATIENTS",),
}
LIST_SIZES_OPTIONAL = {
    "postcode": ("POSTCODE",),
    "sub_icb_code": ("SUB_ICB_LOCATION_CODE",),
}

REGISTERED_COLUMN = "Number of Registered Patients (Last Known Figure)"
WEIGHTED_COLUMN = "Number of Weighted Patients (Last Known Figure)"
PAYMENTS_REQUIRED = {
    "practice_code": ("Practice Code",),
    "registered": (REGISTERED_COLUMN,),
    "weighted": (WEIGHTED_COLUMN,),
}
PAYMENTS_OPTIONAL = {
    "practice_name": ("Practice Name",),
    "pcn_code": ("Code", "PCN Code"),
    "pcn_name": ("CCG NAME", "PCN Name"),
    "sub_icb_code": ("CCG Code", "Sub ICB Code", "Sub ICB Location Code"),
}


def read_mapping(source: str | Path | bytes, *, file_name: str | None = None) -> MappingFile:
    """The mapping file: practice -> PCN, sub-ICB and ICB, with its extract date."""
    data, name = read_source(source, file_name)
    table = CsvTable(data, name)
    at, _ = table.columns(MAPPING_REQUIRED)
    fields = _Fields(name)
    extract = _OneDate(fields, "EXTRACT_DATE")
    once = _Once(fields)
    (
        i_date,
        i_code,
        i_name,
        i_postcode,
        i_pcn,
        i_pcn_name,
        i_sub,
        i_sub_name,
        i_icb,
        i_icb_name,
    ) = (at[key] for key in MAPPING_REQUIRED)
    pcn_names = _Checked(fields.text, "PCN_NAME")
    sub_icb_codes = _Checked(fields.area_code, "SUB_ICB_LOCATION_CODE")
    sub_icb_names = _Checked(fields.text, "SUB_ICB_LOCATION_NAME")
    icb_codes = _Checked(fields.area_code, "ICB_CODE")
    icb_names = _Checked(fields.text, "ICB_NAME")
    rows: list[MappingRow] = []
    for line, record in table.rows():
        extract.check(line, record[i_date])
        code = fields.practice_code(line, "PRACTICE_CODE", record[i_code])
        once.check(line, code)
        pcn_text = record[i_pcn].strip().upper()
        if pcn_text in NO_PCN_CODES:
            pcn_code = pcn_name = None
        elif PCN_CODE.fullmatch(pcn_text):
            pcn_code = pcn_text
            text = record[i_pcn_name]
            pcn_name = pcn_names.get(text) or pcn_names.check(line, text)
        else:
            raise fields.fail(
                line, f"PCN_CODE {pcn_text!r} is not a PCN code (U and five digits, or U for none)"
            )
        practice_name = fields.text(line, "PRACTICE_NAME", record[i_name])
        postcode = fields.optional_text(
            line, "PRACTICE_POSTCODE", record[i_postcode], MAXIMUM_POSTCODE_LENGTH
        )
        # Checked in the order of the columns: the first fault in a row is the one named.
        text = record[i_sub]
        sub_icb_code = sub_icb_codes.get(text) or sub_icb_codes.check(line, text)
        text = record[i_sub_name]
        sub_icb_name = sub_icb_names.get(text) or sub_icb_names.check(line, text)
        text = record[i_icb]
        icb_code = icb_codes.get(text) or icb_codes.check(line, text)
        text = record[i_icb_name]
        icb_name = icb_names.get(text) or icb_names.check(line, text)
        rows.append(
            MappingRow(
                line,
                code,
                practice_name,
                postcode,
                pcn_code,
                pcn_name,
                sub_icb_code,
                sub_icb_name,
                icb_code,
                icb_name,
            )
        )
    if extract.value is None:
        raise NhsFileError(name, 1, "the file has no practice rows")
    return MappingFile(file_name=name, extract_date=extract.value, rows=tuple(rows))


def read_list_sizes(source: str | Path | bytes, *, file_name: str | None = None) -> ListSizeFile:
    """The totals file: registered patients per practice (TYPE=GP, SEX=ALL, AGE=ALL rows)."""
    data, name = read_source(source, file_name)
    table = CsvTable(data, name)
    at, maybe = table.columns(LIST_SIZES_REQUIRED, LIST_SIZES_OPTIONAL)
    fields = _Fields(name)
    extract = _OneDate(fields, "EXTRACT_DATE")
    once = _Once(fields)
    i_date, i_type, i_code, i_sex, i_age, i_patients = (at[key] for key in LIST_SIZES_REQUIRED)
    i_postcode, i_sub = maybe["postcode"], maybe["sub_icb_code"]
    rows: list[ListSizeRow] = []
    skipped = 0
    for line, record in table.rows():
        extract.check(line, record[i_date])
        if (
            record[i_type].strip().upper() != "GP"
            or record[i_sex].strip().upper() != "ALL"
            or record[i_age].strip().upper() != "ALL"
        ):
            skipped += 1
            continue
        code = fields.practice_code(line, "CODE", record[i_code])
        once.check(line, code)
        rows.append(
            ListSizeRow(
                line=line,
                practice_code=code,
                postcode=None
                if i_postcode is None
                else fields.optional_text(
                    line, "POSTCODE", record[i_postcode], MAXIMUM_POSTCODE_LENGTH
                ),
                sub_icb_code=None if i_sub is None else (record[i_sub].strip().upper() or None),
                patients=fields.whole_number(line, "NUMBER_OF_PATIENTS", record[i_patients]),
            )
        )
    if extract.value is None:
        raise NhsFileError(name, 1, "the file has no data rows")
    if not rows:
        raise NhsFileError(name, 1, "the file has no practice rows (TYPE=GP, SEX=ALL, AGE=ALL)")
    return ListSizeFile(
        file_name=name, extract_date=extract.value, rows=tuple(rows), skipped_rows=skipped
    )


def financial_year_end(file_name: str) -> tuple[str, date] | None:
    """("2022-23", 2023-03-31) for ``nhspaymentsgp-22-23-prac.csv``; None if the name says none."""
    for match in FINANCIAL_YEAR.finditer(Path(file_name).name):
        first, second = int(match.group(1)), int(match.group(2))
        if second == (first + 1) % 100:
            return f"{2000 + first}-{second:02d}", date(2000 + first + 1, 3, 31)
    return None


def read_payments(
    source: str | Path | bytes, *, as_of: date | None = None, file_name: str | None = None
) -> PaymentsFile:
    """The practice-level "NHS Payments to General Practice" file: weighted list sizes.

    ``as_of`` defaults to the last day of the financial year in the file name: 31 March 2023 for
    ``nhspaymentsgp-22-23-prac.csv``. The figures are the year's "last known" list sizes, so the
    end of the year is the date they describe. A file whose name carries no financial year needs
    an explicit ``as_of``.
    """
    data, name = read_source(source, file_name)
    year = financial_year_end(name)
    if as_of is None:
        if year is None:
            raise NhsFileError(
                name,
                1,
                "the file name carries no financial year (like 22-23): give the as-of date",
            )
        as_of = year[1]
    table = CsvTable(data, name)
    at, maybe = table.columns(PAYMENTS_REQUIRED, PAYMENTS_OPTIONAL)
    fields = _Fields(name)
    once = _Once(fields)
    i_code, i_registered, i_weighted = (at[key] for key in PAYMENTS_REQUIRED)
    i_name, i_pcn, i_pcn_name, i_sub = (maybe[key] for key in PAYMENTS_OPTIONAL)
    pcn_names = _Checked(fields.optional_text, "CCG NAME")
    rows: list[PaymentsRow] = []
    for line, record in table.rows():
        code = fields.practice_code(line, "Practice Code", record[i_code])
        once.check(line, code)
        pcn_code = pcn_name = None
        if i_pcn is not None:
            pcn_text = record[i_pcn].strip().upper()
            if PCN_CODE.fullmatch(pcn_text):
                pcn_code = pcn_text
                if i_pcn_name is not None:
                    text = record[i_pcn_name]
                    pcn_name = pcn_names.get(text) or pcn_names.check(line, text)
            elif not (pcn_text in NO_PCN_CODES or "NO PCN" in pcn_text):
                raise fields.fail(
                    line, f"Code {pcn_text!r} is not a PCN code (U and five digits, or no PCN)"
                )
        rows.append(
            PaymentsRow(
                line=line,
                practice_code=code,
                practice_name=None
                if i_name is None
                else fields.optional_text(line, "Practice Name", record[i_name]),
                pcn_code=pcn_code,
                pcn_name=pcn_name,
                sub_icb_code=None if i_sub is None else (record[i_sub].strip().upper() or None),
                registered_patients=fields.decimal(line, REGISTERED_COLUMN, record[i_registered]),
                weighted_patients=fields.decimal(line, WEIGHTED_COLUMN, record[i_weighted]),
            )
        )
    if not rows:
        raise NhsFileError(name, 1, "the file has no practice rows")
    return PaymentsFile(
        file_name=name,
        as_of=as_of,
        rows=tuple(rows),
        financial_year=year[0] if year else None,
    )
