"""Formatting result sets as a table, CSV, TSV and JSON."""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import json

import pytest

from kiter.tabular import format_rows

COLUMNS = ["status", "hits", "note"]
ROWS = [("200", 14, "ok"), ("404", 9, None), ("500", 4, 'a, "quoted"\nline')]


def test_table_has_a_header_a_rule_and_aligned_rows() -> None:
    text = format_rows(["status", "hits"], [("200", 14), ("404", 9)], "table")
    assert text.splitlines() == [
        "status  hits",
        "------  ----",
        "200       14",
        "404        9",
    ]


def test_table_shows_null_for_none_and_keeps_each_row_on_one_line() -> None:
    lines = format_rows(COLUMNS, ROWS, "table").splitlines()
    assert len(lines) == 2 + len(ROWS)
    assert lines[3].split() == ["404", "9", "NULL"]
    assert lines[4].endswith('a, "quoted"\\nline')


def test_table_widens_columns_to_the_longest_cell() -> None:
    lines = format_rows(["a", "b"], [("long value", 1)], "table").splitlines()
    assert lines[0] == "a           b"
    assert lines[1] == "----------  -"


def test_table_with_no_rows_is_just_the_header_and_rule() -> None:
    assert format_rows(["a", "bb"], [], "table") == "a  bb\n-  --"


def test_csv_round_trips_through_the_csv_module_with_empty_fields_for_null() -> None:
    text = format_rows(COLUMNS, ROWS, "csv")
    assert list(csv.reader(io.StringIO(text))) == [
        COLUMNS,
        ["200", "14", "ok"],
        ["404", "9", ""],
        ["500", "4", 'a, "quoted"\nline'],
    ]


def test_tsv_separates_fields_with_tabs() -> None:
    assert format_rows(["a", "b"], [(1, "x y")], "tsv") == "a\tb\n1\tx y"


def test_json_is_a_list_of_objects_keyed_by_column() -> None:
    rows = [(1, None, decimal.Decimal("2.5"), datetime.date(2025, 1, 2), decimal.Decimal("7"))]
    data = json.loads(format_rows(["i", "n", "d", "day", "whole"], rows, "json"))
    assert data == [{"i": 1, "n": None, "d": 2.5, "day": "2025-01-02", "whole": 7}]


def test_json_of_no_rows_is_an_empty_list() -> None:
    assert json.loads(format_rows(["a"], [], "json")) == []


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        format_rows(["a"], [], "xml")  # type: ignore[arg-type]
