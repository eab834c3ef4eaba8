"""Turn a result set (column names and row tuples) into text: an aligned table, CSV, TSV or JSON.

Pure formatting for `kiter query` and friends: no I/O, no printing, no knowledge of where the rows
came from. Every format is returned without a trailing newline; the caller's printer adds one.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import json
from collections.abc import Sequence
from typing import Any, Literal

Format = Literal["table", "csv", "tsv", "json"]
FORMATS: tuple[Format, ...] = ("table", "csv", "tsv", "json")
NULL = "NULL"


def format_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: Format = "table"
) -> str:
    """The rows as text in the given format (see the module docstring)."""
    if fmt == "table":
        return _table(columns, rows)
    if fmt == "csv":
        return _delimited(columns, rows, ",")
    if fmt == "tsv":
        return _delimited(columns, rows, "\t")
    if fmt == "json":
        return json.dumps(
            [dict(zip(columns, row, strict=False)) for row in rows],
            indent=2,
            ensure_ascii=False,
            default=json_default,
        )
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, ending with an ellipsis when it was cut (a cut that does
    not say so reads as the whole message)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    # A newline or tab inside a cell would break the table's alignment.
    return str(value).replace("\n", "\\n").replace("\t", "\\t")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not columns:
        return ""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(str(c)) for c in columns]
    for row in cells:
        for i, text in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], len(text))
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=False)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for raw, row in zip(rows, cells, strict=True):
        # Numbers align right so their digits line up; everything else aligns left.
        parts = [
            text.rjust(w) if _is_number(value) else text.ljust(w)
            for value, text, w in zip(raw, row, widths, strict=False)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _delimited(columns: Sequence[str], rows: Sequence[Sequence[Any]], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        # An empty field is what spreadsheets and `COPY ... CSV` read back as NULL.
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().removesuffix("\n")


def json_default(value: Any) -> Any:
    """What json.dumps cannot write by itself, as JSON: numbers, ISO dates, text."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
