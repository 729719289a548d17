"""Spreadsheet files in and out: CSV and XLSX read into a ``Table``, rows written as CSV or XLSX.

Shared by the account import (``imports.py``, which decides what the columns mean) and the
export (``exports.py``), so a file we write is a file we read back the same.

Reading:
- Encodings: UTF-8, with or without a BOM. Anything else is refused with the line of the
  first bad byte ("save as CSV UTF-8"): cp1252 decodes almost any byte soup without error,
  so accepting it would turn a wrong guess into silently garbled names.
- Delimiters: comma (what we write), semicolon and tab (European Excel), picked by the
  header (the one under which most names are ones the caller knows); anything else is refused
  naming ``file``.
- XLSX: the first sheet, values only (formulas as last computed), through openpyxl; a workbook
  that would unzip to more than ``Limits.max_unzipped_bytes`` is refused before it is opened.
- The caller sets the ``Limits``; over one raises ``TooLarge`` (413), a malformed file raises
  ``DomainError("file", …)`` (422).

Writing: CSV in UTF-8 with a BOM (so Excel opens it as UTF-8), text that a spreadsheet app
would run as a formula prefixed with an apostrophe (``escape_cell``; ``unescape_cell`` takes
exactly one off again on the way in); XLSX with every text cell stored as text, never a formula.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from fieldcrm.core.errors import DomainError

# Spreadsheet apps run a cell starting with one of these as a formula ("CSV injection");
# writers prefix such text with an apostrophe and readers take exactly one off again.
_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_NUMBERLIKE = re.compile(r"^[+-]?[\d\s().\-/]*$")
# The CSV writer hands its text on after every this many rows.
CSV_FLUSH_ROWS = 500


class TooLarge(Exception):
    """The file or its row count is over the limit (413)."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int  # below the header
    max_columns: int  # XLSX cells past this are not read
    # An XLSX is a zip: refuse one that would unpack to far more than any real sheet (zip bomb).
    max_unzipped_bytes: int
    # The work one upload may cost a worker: a small zip can unpack to a sheet that takes
    # minutes to parse (32 KB -> 10 MB took 7.9 s), so cells, cell sizes and time are bounded.
    max_cells: int = 2_000_000
    max_cell_chars: int = 10_000
    max_seconds: float = 20.0


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells)
    warnings: list[str] = field(default_factory=list)
    # CSV text was written with formula-like cells escaped (``escape_cell``); XLSX cells are
    # typed text and never escaped, so an importer un-escapes only a CSV's cells.
    escaped: bool = True


# --- Cells ----------------------------------------------------------------------------


def escape_cell(text: str) -> str:
    """Make text safe to open in a spreadsheet app; ``unescape_cell`` reverses it exactly."""
    if _FORMULA.match(text) and not _NUMBERLIKE.match(text):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    if text.startswith("'") and _FORMULA.match(text) and not _NUMBERLIKE.match(text[1:]):
        return text[1:]
    return text


# --- Reading --------------------------------------------------------------------------


def read_table(
    data: bytes,
    filename: str = "",
    *,
    limits: Limits,
    is_column: Callable[[str], bool],
) -> Table:
    """Bytes of a CSV or XLSX file -> a Table. Refuses malformed files naming ``file``.

    ``is_column`` tells a known header name (stripped, lower case) when guessing a CSV's
    delimiter."""
    if len(data) > limits.max_bytes:
        raise TooLarge(_("The file is larger than %(mb)s MB.") % {"mb": limits.max_bytes // 2**20})
    if not data.strip() or data.strip() == codecs.BOM_UTF8:
        raise DomainError("file", _("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data, limits)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DomainError("file", _("This is an old Excel .xls file; save it as .xlsx or CSV."))
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise DomainError("file", _("The file is named .xlsx but is not an XLSX workbook."))
    else:
        table = _read_csv(_decode(data), limits, is_column)
    if len(table.rows) > limits.max_rows:
        raise _too_many_rows(limits)
    return table


def _too_many_rows(limits: Limits) -> TooLarge:
    return TooLarge(_("The file has more than %(n)s rows.") % {"n": f"{limits.max_rows:,}"})


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        raise DomainError(
            "file", _("The file is not UTF-8 text (UTF-16 or binary); save it as CSV UTF-8.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DomainError(
            "file",
            _("The file is not UTF-8 (byte 0x%(byte)s on line %(line)s); save it as CSV UTF-8.")
            % {"byte": f"{data[exc.start]:02X}", "line": line},
        ) from None


def _read_csv(text: str, limits: Limits, is_column: Callable[[str], bool]) -> Table:
    first_line = text.split("\n", 1)[0]
    scores = {
        d: sum(is_column(c.strip().lower()) for c in next(csv.reader([first_line], delimiter=d)))
        for d in (",", ";", "\t")
    }
    delimiter = max(scores, key=lambda d: (scores[d], d == ","))
    if scores[delimiter] == 0 and len(next(csv.reader([first_line]))) == 1:
        raise DomainError(
            "file",
            _("Found a single column %(header)r: separate the columns with commas.")
            % {"header": first_line[:80]},
        )
    warnings = []
    if delimiter != ",":
        warnings.append(_("Columns are separated by %(d)r.") % {"d": delimiter})
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise DomainError("file", _("Not a readable CSV file: %(e)s.") % {"e": exc}) from None
    if len(records) > limits.max_rows + 1:
        raise _too_many_rows(limits)
    budget = _Budget(limits)
    for record in records:
        budget.spend(record)
    return Table(records[0], list(enumerate(records[1:], start=2)), warnings)


def _cell_text(value: Any) -> str:
    """An XLSX cell's value as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes, limits: Limits) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise DomainError("file", _("The file is not a readable XLSX workbook.")) from None
    if unzipped > limits.max_unzipped_bytes:
        raise TooLarge(_("The workbook unpacks to more than the allowed size."))
    from openpyxl import load_workbook

    rows: list[list[str]] = []
    budget = _Budget(limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                if len(rows) > limits.max_rows:
                    raise _too_many_rows(limits)
                row = [_cell_text(v) for v in values[: limits.max_columns]]
                budget.spend(row)
                rows.append(row)
        finally:
            book.close()
    except TooLarge:
        raise
    except Exception:  # openpyxl raises many different types on a malformed workbook
        raise DomainError("file", _("The file is not a readable XLSX workbook.")) from None
    if not rows or not any(rows[0]):
        raise DomainError("file", _("The first sheet has no header row."))
    return Table(rows[0], list(enumerate(rows[1:], start=2)), escaped=False)


class _Budget:
    """What reading one file may cost: cells, characters per cell, seconds (TooLarge beyond)."""

    def __init__(self, limits: Limits) -> None:
        self.limits, self.cells = limits, 0
        self.deadline = time.monotonic() + limits.max_seconds

    def spend(self, row: Sequence[str]) -> None:
        self.cells += len(row)
        if self.cells > self.limits.max_cells:
            raise TooLarge(
                _("The file has more than %(n)s cells.") % {"n": f"{self.limits.max_cells:,}"}
            )
        if any(len(cell) > self.limits.max_cell_chars for cell in row):
            raise TooLarge(
                _("A cell holds more than %(n)s characters.")
                % {"n": f"{self.limits.max_cell_chars:,}"}
            )
        if time.monotonic() > self.deadline:
            raise TooLarge(_("The file takes too long to read; split it into smaller files."))


# --- Writing --------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return escape_cell(value)
    return str(value)


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """A CSV file of native values (None for an empty cell), streamed in pieces as the rows
    come: UTF-8 with a BOM so Excel opens it as UTF-8 (``read_table`` accepts it), CRLF line
    ends, formula-like text escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for i, row in enumerate(rows):
        writer.writerow([_csv_text(v) for v in row])
        if i % CSV_FLUSH_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_bytes(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """An XLSX workbook of one sheet, built in memory (openpyxl's write-only mode); text cells
    are stored as text, never as a formula, whatever they start with."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title)
    sheet.append(list(header))
    for values in rows:
        row = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            row.append(cell)
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
