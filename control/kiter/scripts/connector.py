"""Where a script uses the EMR Kinesis connector: tables stored by its storage handler, loads
through its stream loader, the stream each one names, the credentials it must not hold.

Pure text: Hive statements come from the Hive CLI's splitter, Pig statements from the Pig
tokenizer. Every piece carries its offsets in the text, so a caller can replace exactly it, and its
line, so a message can say where it was. `mentions` and `streams_named` are the quick readings
that run on every render; the full readers (`kinesis_tables` here, `kinesis_loads` in
kiter.scripts.kinesisloads) run where a script is rewritten, checked before submit or imported.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from kiter.scripts.setlines import may_begin_key
from kiter.scripts.sqlsplit import split_statements as split_hive

HIVE_HANDLER = "com.amazon.emr.kinesis.hive.KinesisStorageHandler"
PIG_LOADER = "com.amazon.emr.kinesis.pig.KinesisStreamLoader"
_LOADER_NAME = PIG_LOADER.rsplit(".", 1)[-1]
_LOADER_NAMES = (PIG_LOADER, _LOADER_NAME)

_CREDENTIAL = re.compile(r"kinesis\.(?:access|secret)key", re.I)


def credential_lines(text: str) -> list[int]:
    """Lines that name a Kinesis access key or secret key (in any form, comments too)."""
    return sorted({text.count("\n", 0, m.start()) + 1 for m in _CREDENTIAL.finditer(text)})


class Mentions(NamedTuple):
    """Where a script's text names the connector, found in one pass: what tells a caller on the
    render path which of the readers here (and `set_lines`) it needs to run at all."""

    credentials: bool  # `kinesis.accessKey` / `kinesis.secretKey` appear (comments too)
    settings: bool  # a word begins with `kinesis` where a SET's key can stand
    stream_names: tuple[int, ...]  # offsets of `kinesis.stream.name`
    loaders: tuple[int, ...]  # offsets of `KinesisStreamLoader` (any case)
    # Offsets of any other `kinesis...` that opens a quoted string (a property's key, maybe).
    quoted: tuple[int, ...] = ()


# A-Z to a-z and nothing else: a lower case that keeps every character where it was.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lowered(text: str) -> str:
    """`text` in lower case, character for character: an offset found in it is the same offset in
    `text`. `str.lower` is, but for the few characters whose lower case is longer (U+0130 `İ` is
    `i̇`, two): then only A-Z are lowered, which is all the connector's names need."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def mentions(lowered: str) -> Mentions | None:
    """Where the script names the connector, None when it never does; `lowered` is its text in
    lower case, as `lowered()` makes it (the connector's names are matched in any case, and the
    offsets found are read in the text)."""
    at = lowered.find("kinesis")
    if at < 0:
        return None
    credentials = settings = False
    stream_names: list[int] = []
    loaders: list[int] = []
    quoted: list[int] = []
    while at >= 0:
        settings = settings or may_begin_key(lowered, at)
        after = at + len("kinesis")
        if lowered.startswith(".stream.name", after):
            stream_names.append(at)
        elif lowered.startswith("streamloader", after):
            loaders.append(at)
        elif lowered.startswith((".accesskey", ".secretkey"), after):
            credentials = True
        elif at and lowered[at - 1] in "'\"":
            quoted.append(at)
        at = lowered.find("kinesis", after)
    return Mentions(credentials, settings, tuple(stream_names), tuple(loaders), tuple(quoted))


# A quoted key and its `=`, as a table's properties give one: `"kinesis.x" = "v"`.
_QUOTED_KEY = re.compile(r"""(?P<key>[^"'\n]*)(?P<quote>["'])\s*=""")


def properties_named(text: str, found: Mentions) -> list[tuple[str, int]]:
    """(key, offset) of each quoted `kinesis...` key given a value (`"k" = "v"`: a table's
    TBLPROPERTIES or SERDEPROPERTIES), at the names `found` located."""
    named = []
    for at in found.quoted:
        match = _QUOTED_KEY.match(text, at)
        if match and match["quote"] == text[at - 1]:
            named.append((match["key"], at))
    return named


# Where a script names the stream it reads: a Kinesis table's property, a Kinesis load's path.
# Read from the text around the connector's names, without splitting the script.
_PROPERTY_VALUE = re.compile(r"""["']\s*=\s*["']([^"']*)["']""")
# What may follow the loader's name when it is given no arguments.
_BARE_LOADER = r"\s*(?:\(\s*\)|;|AS\b)"
_LOAD_BEFORE = re.compile(
    r"""LOAD\s+'([^']*)'\s+USING\s+(?:com\.amazon\.emr\.kinesis\.pig\.)?KinesisStreamLoader"""
    f"({_BARE_LOADER})?",
    re.I,
)


class StreamsNamed(NamedTuple):
    """What the quick reading finds at the connector's names (`streams_named`)."""

    streams: list[tuple[str, int]]  # (stream, offset) of each Kinesis table property or load
    # Whether a Kinesis load may give the loader arguments: only the loader's name in a LOAD,
    # followed by `()`, `AS` or `;`, cannot (a comment there counts as maybe; a DEFINE's alias
    # may be given arguments, and its loads name no stream here). Pig only.
    loader_arguments: bool


def streams_named(text: str, lowered: str, dialect: str, found: Mentions) -> StreamsNamed:
    """The stream each Kinesis table property (Hive) or Kinesis load (Pig) of the script names,
    read at the names `found` located in `lowered` (this runs on every render), and whether a
    load may give the loader arguments (one match reads both)."""
    streams: list[tuple[str, int]] = []
    if dialect == "hive":
        for at in found.stream_names:
            match = _PROPERTY_VALUE.match(text, at + len("kinesis.stream.name"))
            if match:
                streams.append((match.group(1), at))
        return StreamsNamed(streams, False)
    arguments = False
    for at in found.loaders:
        load = lowered.rfind("load", max(0, at - 400), at)
        match = _LOAD_BEFORE.match(text, load) if load >= 0 else None
        if match:
            streams.append((match.group(1), at))
            arguments = arguments or match.group(2) is None
        else:  # a loader not in a LOAD (a DEFINE, say): its loads are read in full
            arguments = True
    return StreamsNamed(streams, arguments)


# ---- Hive: tables stored by the Kinesis storage handler ---------------------------------------


@dataclass(frozen=True)
class _Piece:
    kind: str  # word, string, open, close, other
    text: str
    start: int
    end: int
    depth: int  # bracket depth before this piece


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    i, n, depth = 0, len(text), 0
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("--", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif ch in "'\"`":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            pieces.append(_Piece("string", text[i : j + 1], i, j + 1, depth))
            i = j + 1
        elif ch == "(":
            pieces.append(_Piece("open", ch, i, i + 1, depth))
            depth += 1
            i += 1
        elif ch == ")":
            depth -= 1
            pieces.append(_Piece("close", ch, i, i + 1, depth))
            i += 1
        elif ch.isalnum() or ch in "_.$":
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_.${}:"):
                j += 1
            pieces.append(_Piece("word", text[i:j], i, j, depth))
            i = j
        else:
            pieces.append(_Piece("other", ch, i, i + 1, depth))
            i += 1
    return pieces


def _unquoted(literal: str) -> str:
    body = literal[1:-1] if len(literal) >= 2 else literal
    return re.sub(r"\\(.)", r"\1", body)


def _group_end(pieces: list[_Piece], open_index: int) -> int:
    """Index of the piece closing the bracket opened at open_index."""
    depth = pieces[open_index].depth
    for index in range(open_index + 1, len(pieces)):
        if pieces[index].kind == "close" and pieces[index].depth == depth:
            return index
    return len(pieces) - 1


@dataclass
class KinesisTable:
    """`CREATE TABLE ... STORED BY '...KinesisStorageHandler' TBLPROPERTIES (...)` in a script."""

    name: str
    line: int
    start: int  # offset of CREATE
    end: int  # offset of the statement's end (its `;` not included)
    columns: str  # "(...)" as written
    comment: str  # "COMMENT '...'" as written, or ""
    row_format: str  # "ROW FORMAT ..." as written, or ""
    handler_serde_properties: str  # "WITH SERDEPROPERTIES (...)" after STORED BY, or ""
    properties: dict[str, str] = field(default_factory=dict)  # TBLPROPERTIES, unquoted
    unsupported: str = ""  # a clause kiter cannot carry over to a staged table

    @property
    def stream(self) -> str | None:
        return self.properties.get("kinesis.stream.name")


def kinesis_tables(text: str) -> list[KinesisTable]:
    """Every table of the script stored by the Kinesis storage handler."""
    tables = []
    for statement in split_hive(text):
        if not re.match(r"CREATE\s", statement.text, re.I) or HIVE_HANDLER not in statement.text:
            continue
        table = _kinesis_table(statement.text, statement.start, statement.line)
        if table is not None:
            tables.append(table)
    return tables


def _kinesis_table(body: str, offset: int, line: int) -> KinesisTable | None:
    pieces = _pieces(body)
    words = [p.text.upper() if p.kind == "word" else p.text for p in pieces]
    try:
        at = words.index("TABLE") + 1
    except ValueError:
        return None
    if words[at : at + 3] == ["IF", "NOT", "EXISTS"]:
        at += 3
    name = pieces[at].text
    at += 1
    if at >= len(pieces) or pieces[at].kind != "open":
        return None
    close = _group_end(pieces, at)
    columns = body[pieces[at].start : pieces[close].end]
    table = KinesisTable(
        name=name,
        line=line,
        start=offset,
        end=offset + len(body),
        columns=columns,
        comment="",
        row_format="",
        handler_serde_properties="",
    )
    index = close + 1
    clause_starts: list[tuple[str, int]] = []
    while index < len(pieces):
        piece = pieces[index]
        if piece.depth == 0 and piece.kind == "word":
            upper = piece.text.upper()
            if upper in (
                "COMMENT",
                "ROW",
                "STORED",
                "TBLPROPERTIES",
                "PARTITIONED",
                "CLUSTERED",
                "LOCATION",
                "WITH",
                "SKEWED",
            ):
                clause_starts.append((upper, index))
        if piece.kind == "open":
            index = _group_end(pieces, index)
        index += 1
    clause_starts.append(("END", len(pieces)))
    for (clause, first), (_, following) in itertools.pairwise(clause_starts):
        last = pieces[following - 1] if following - 1 < len(pieces) else pieces[-1]
        text = body[pieces[first].start : last.end]
        if clause == "COMMENT":
            table.comment = text
        elif clause == "ROW":
            table.row_format = text
        elif clause == "WITH":
            # After ROW FORMAT SERDE it is part of the row format; after STORED BY, the handler's.
            if table.row_format and not any(c == "STORED" for c, i in clause_starts if i < first):
                row_start = body.index(table.row_format)
                table.row_format = body[row_start : last.end]
            else:
                table.handler_serde_properties = text
        elif clause == "TBLPROPERTIES":
            table.properties = _properties(pieces[first + 1 : following])
        elif clause == "STORED":
            continue
        else:
            table.unsupported = table.unsupported or clause
    return table


def _properties(pieces: list[_Piece]) -> dict[str, str]:
    found: dict[str, str] = {}
    strings = [p for p in pieces if p.kind == "string"]
    for key, value in zip(strings[0::2], strings[1::2], strict=False):
        found[_unquoted(key.text)] = _unquoted(value.text)
    return found
