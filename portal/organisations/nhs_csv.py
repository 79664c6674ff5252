"""Reading one published CSV file whole, with the line each row starts on, or refusing it with
an ``NhsFileError`` naming the file, the line and the reason.

The excel dialect: a byte-order mark is ignored; quoted commas and line breaks are handled by the
``csv`` module; blank lines (and rows of empty fields, as spreadsheets leave at the end) are
ignored; a row with more or fewer fields than the header is refused.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from portal.errors import DomainError


class NhsFileError(DomainError):
    """A published file the portal refuses, with the line that made it refuse."""

    def __init__(self, file_name: str, line: int, reason: str) -> None:
        self.file_name = file_name
        self.line = line
        self.reason = reason
        super().__init__(f"{file_name}, line {line}: {reason}")

    def __reduce__(self) -> tuple[type[NhsFileError], tuple[str, int, str]]:
        return (type(self), (self.file_name, self.line, self.reason))


def _decode(data: bytes | str, file_name: str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise NhsFileError(file_name, line, "the file is not UTF-8 text") from None


class CsvTable:
    """The header and data rows of one CSV file, with the line each row starts on. A line with
    no quote is split at its commas (the csv module would read the same fields, only slower);
    any other goes through the csv module, with the lines its quoted fields run on to."""

    def __init__(self, data: bytes | str, file_name: str) -> None:
        self.file_name = file_name
        self._lines = io.StringIO(_decode(data, file_name), newline="")
        self._next_line = 1
        try:
            first = next(self._records(), None)
        except csv.Error as error:
            raise NhsFileError(file_name, 1, f"not a CSV file ({error})") from None
        if first is None:
            raise NhsFileError(file_name, 1, "the file is empty")
        self.header = [name.strip() for name in first[2]]
        self._index: dict[str, int] = {}
        self._read = -1  # how many fields of a data row to split apart, set by ``columns``
        for position, name in enumerate(self.header):
            key = name.casefold()
            if key and key in self._index:
                raise NhsFileError(file_name, 1, f"column {name} appears twice in the header")
            self._index[key] = position

    def _records(self, read: int = -1) -> Iterator[tuple[int, int, list[str]]]:
        """Each record not blank: its first line, its number of fields, and its fields split
        only as far as the first ``read`` (all for -1; the rest stay joined in the last)."""
        lines = self._lines
        # The csv module refuses a field longer than this: such a line goes through it.
        longest = csv.field_size_limit()
        for text in lines:
            line = self._next_line
            if '"' in text or len(text) > longest:
                reader = csv.reader(itertools.chain((text,), lines), strict=True)
                record = next(reader)
                self._next_line = line + reader.line_num
                if "".join(record).strip():
                    yield line, len(record), record
            else:
                self._next_line = line + 1
                record = text.rstrip("\r\n").split(",", read)
                # A first field with text is the common case: the whole line need not be looked at.
                if record[0].strip() or text.replace(",", "").strip():
                    yield line, text.count(",") + 1, record

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The data rows, each split as far as the last column asked of ``columns``."""
        width = len(self.header)
        try:
            for line, fields, record in self._records(self._read):
                if fields != width:
                    reason = f"the row has {fields} fields where the header has {width}"
                    raise NhsFileError(self.file_name, line, reason)
                yield line, record
        except csv.Error as error:
            raise NhsFileError(self.file_name, self._next_line, f"bad CSV: {error}") from None

    def columns(
        self,
        required: Mapping[str, Sequence[str]],
        optional: Mapping[str, Sequence[str]] | None = None,
    ) -> tuple[dict[str, int], dict[str, int | None]]:
        """Positions of the wanted columns, the required and the optional (None where absent);
        each is known by one or more header names."""

        def position(names: Sequence[str]) -> int | None:
            return next(
                (self._index[n.casefold()] for n in names if n.casefold() in self._index), None
            )

        found = {wanted: position(names) for wanted, names in required.items()}
        missing = [required[wanted][0] for wanted, at in found.items() if at is None]
        if missing:
            plural = "columns" if len(missing) > 1 else "column"
            raise NhsFileError(
                self.file_name, 1, f"the header has no {plural} {', '.join(missing)}"
            )
        present = {wanted: at for wanted, at in found.items() if at is not None}
        maybe = {wanted: position(names) for wanted, names in (optional or {}).items()}
        self._read = 1 + max([*present.values(), *(at for at in maybe.values() if at is not None)])
        return present, maybe


def read_source(path_or_data: str | Path | bytes, file_name: str | None) -> tuple[bytes | str, str]:
    if isinstance(path_or_data, bytes):
        return path_or_data, file_name or "uploaded file"
    path = Path(path_or_data)
    try:
        return path.read_bytes(), file_name or path.name
    except OSError as error:
        raise NhsFileError(file_name or path.name, 1, f"cannot read the file ({error})") from None
