"""The spreadsheet layer on its own: what it writes it reads back, within the caller's limits."""

import pytest

from fieldcrm.accounts.spreadsheets import (
    Limits,
    TooLarge,
    csv_stream,
    read_table,
    unescape_cell,
    xlsx_bytes,
)
from fieldcrm.core.errors import DomainError

LIMITS = Limits(max_bytes=10_000, max_rows=10, max_columns=5, max_unzipped_bytes=1_000_000)
HEADER = ["name", "note", "count"]
ROWS = [["=1+1", None, 3], ["Café ☕", "-5", 2.5], ["@home", True, None]]


def known(name: str) -> bool:
    return name in HEADER


def cells(table) -> list[list[str]]:
    return [[unescape_cell(c) for c in row] for _, row in table.rows]


def test_a_csv_it_writes_is_read_back_cell_for_cell_with_formulas_escaped():
    data = b"".join(csv_stream(HEADER, ROWS))
    assert data.startswith(b"\xef\xbb\xbf") and b"'=1+1" in data and b"\r\n" in data
    table = read_table(data, "a.csv", limits=LIMITS, is_column=known)
    assert table.header == HEADER and table.warnings == []
    assert cells(table) == [["=1+1", "", "3"], ["Café ☕", "-5", "2.5"], ["@home", "true", ""]]
    assert [number for number, _ in table.rows] == [2, 3, 4]


def test_an_xlsx_it_writes_keeps_formula_like_text_as_text():
    table = read_table(xlsx_bytes("Sheet", HEADER, ROWS), "a.xlsx", limits=LIMITS, is_column=known)
    assert table.header == HEADER
    # A sheet's rows end at their last value: the empty cell after "true" is not stored.
    assert cells(table) == [["=1+1", "", "3"], ["Café ☕", "-5", "2.5"], ["@home", "true"]]


def test_the_delimiter_is_the_one_under_which_the_header_names_known_columns():
    table = read_table(b"name;note\nShop;a,b\n", limits=LIMITS, is_column=known)
    assert table.header == ["name", "note"] and table.rows == [(2, ["Shop", "a,b"])]
    assert table.warnings == ["Columns are separated by ';'."]


def test_the_callers_limits_decide_what_is_too_large():
    rows = b"name\n" + b"Shop\n" * 3
    read_table(rows, limits=LIMITS, is_column=known)
    with pytest.raises(TooLarge):
        read_table(rows, limits=Limits(10_000, 2, 5, 1_000_000), is_column=known)
    with pytest.raises(TooLarge):
        read_table(rows, limits=Limits(10, 10, 5, 1_000_000), is_column=known)


def test_text_that_is_not_utf8_is_refused_naming_the_line():
    with pytest.raises(DomainError, match="line 2") as refused:
        read_table("name\nCaf\xe9\n".encode("cp1252"), limits=LIMITS, is_column=known)
    assert refused.value.field == "file"
