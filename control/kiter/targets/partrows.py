"""The rows a streaming or jar job wrote: the lines of its `part-*` files, tab-separated.

Hadoop's TextOutputFormat writes one record a line, key and value split by a tab; with output
compression on (`mapreduce.output.fileoutputformat.compress`), each part file is compressed by its
codec and named for it: `.gz`, `.bz2` and `.deflate` are read here; Snappy's, LZ4's, Zstandard's
and LZO's files are said to be unread, never shown as bytes. Both the local Hadoop target (files in a folder) and the
EMR steps target (objects under an s3:// prefix) show a run's result as these rows; this room
turns a part file's bytes into lines and lines into rows, the first `ROWS_SHOWN` of them, cells
that are numbers as numbers. It opens nothing itself: the targets hand over the streams.
"""

from __future__ import annotations

import bz2
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Any

ROWS_SHOWN = 1000
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def is_part_file(name: str) -> bool:
    """Whether a file of an output folder holds records (`part-00000`, `part-r-00001`), not
    Hadoop's markers (`_SUCCESS`) or a task's leftovers."""
    return name.startswith("part-")


# The extensions Hadoop's codecs give their files, which kiter cannot read (no codec of these in
# Python's standard library): shown as bytes they would be garbage rows.
_UNREADABLE = (".snappy", ".lz4", ".zst", ".lzo", ".br")


class UnreadablePart(Exception):
    """A part file compressed by a codec kiter does not read (Snappy, LZ4, Zstandard, LZO)."""


def part_lines(name: str, raw: IO[bytes]) -> Iterator[str]:
    """The text lines of the part file `name` whose bytes `raw` streams, decompressed as its
    name's extension says (`.gz`, `.bz2`, `.deflate`); UnreadablePart for another codec's."""
    if name.endswith(_UNREADABLE):
        codec = name[name.rfind(".") :]
        raise UnreadablePart(
            f"{name} is {codec}-compressed: kiter reads part files as text, .gz, .bz2 or .deflate"
        )
    stream: IO[bytes] | gzip.GzipFile | bz2.BZ2File = raw
    if name.endswith(".gz"):
        stream = gzip.GzipFile(fileobj=raw)
    elif name.endswith(".bz2"):
        stream = bz2.BZ2File(raw)
    elif name.endswith(".deflate"):
        stream = io.BytesIO(zlib.decompress(raw.read()))  # zlib has no stream reader
    yield from io.TextIOWrapper(stream, encoding="utf-8", errors="replace")


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
