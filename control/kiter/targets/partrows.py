"""The rows a streaming or jar job wrote: the lines of its `part-*` files, tab-separated.

Hadoop's TextOutputFormat writes one record a line, key and value split by a tab. Both the local
Hadoop target (files in a folder) and the EMR steps target (objects under an s3:// prefix) show a
run's result as these rows; this room turns lines into rows, the first `ROWS_SHOWN` of them, cells
that are numbers as numbers. It reads nothing itself: the targets hand over the lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

ROWS_SHOWN = 1000
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def is_part_file(name: str) -> bool:
    """Whether a file of an output folder holds records (`part-00000`, `part-r-00001`), not
    Hadoop's markers (`_SUCCESS`) or a task's leftovers."""
    return name.startswith("part-")


def part_rows(lines: Iterable[str], *, count_all: bool = True) -> tuple[list[tuple[Any, ...]], int]:
    """The first ROWS_SHOWN rows of `lines` and how many lines there are. With `count_all` False
    the lines are read no further than one past the rows shown (the count then says only that
    there are more)."""
    rows: list[tuple[Any, ...]] = []
    total = 0
    for line in lines:
        total += 1
        if len(rows) < ROWS_SHOWN:
            rows.append(tuple(_typed(cell) for cell in line.rstrip("\n").split("\t")))
        elif not count_all:
            break
    return rows, total


def columns_of(rows: list[tuple[Any, ...]]) -> list[str]:
    """$0, $1, ... as wide as the widest row."""
    width = max((len(row) for row in rows), default=0)
    return [f"${i}" for i in range(width)]


def _typed(cell: str) -> Any:
    if _NUMBER.fullmatch(cell):
        return float(cell) if "." in cell else int(cell)
    return cell
