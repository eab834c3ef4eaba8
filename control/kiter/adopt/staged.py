"""An unchanged connector script, made to read a staged iteration instead of the stream.

Hive: each table stored by the Kinesis storage handler becomes an external text table of the same
name, columns and row format (SerDe and its properties kept), located at exactly this iteration's
staged partition; it is dropped first (external: its files stay), so `IF NOT EXISTS` cannot keep an
earlier iteration's location. Pig: each load through the Kinesis loader becomes a TextLoader load
of the partition with the same one-field schema. What the connector's behaviour leaves open (a
multi-field Pig schema, a partitioned Kinesis table, properties given to the handler's own SerDe)
is refused rather than guessed. Line numbers of the script are kept.
"""

from __future__ import annotations

import re

from kiter.errors import UsageError
from kiter.scripts import (
    KinesisLoad,
    KinesisTable,
    kinesis_loads,
    kinesis_tables,
    split_statements,
)


def staged_hive(text: str, partition: str, *, where: str = "") -> str:
    """The script with every Kinesis table read from `partition` (and dropped only if it exists:
    before the first iteration there is none, and Spark refuses to drop what is not there)."""
    tables = kinesis_tables(text)
    names = {t.name.lower() for t in tables}
    edits: list[tuple[int, int, str]] = [
        (t.start, t.end, _external_table(t, partition, text, where)) for t in tables
    ]
    for statement in split_statements(text):
        match = _DROP.fullmatch(statement.text)
        if match and match["name"].lower() in names:
            edits.append(
                (statement.start, statement.end, f"{match['head']} IF EXISTS {match['name']}")
            )
    pieces: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits):
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


_DROP = re.compile(r"(?P<head>DROP\s+TABLE)\s+(?P<name>[\w.`]+)", re.IGNORECASE)


def _external_table(table: KinesisTable, partition: str, text: str, where: str) -> str:
    at = f"{where}:{table.line}" if where else f"line {table.line}"
    if table.unsupported:
        raise UsageError(
            f"{at}: table {table.name} stored by the Kinesis handler has a {table.unsupported} "
            "clause; staged mode cannot read it as a partition (the connector's behaviour for it "
            "is not documented)"
        )
    if table.handler_serde_properties and not table.row_format:
        raise UsageError(
            f"{at}: table {table.name} gives SERDEPROPERTIES to the Kinesis handler's own SerDe; "
            "staged mode cannot know that SerDe: declare ROW FORMAT SERDE ... WITH SERDEPROPERTIES"
        )
    row_format = table.row_format
    if table.handler_serde_properties:
        row_format += " " + table.handler_serde_properties
    kept = {k: v for k, v in table.properties.items() if not k.lower().startswith("kinesis.")}
    properties = (
        " TBLPROPERTIES ("
        + ", ".join(f"'{_escaped(k)}'='{_escaped(v)}'" for k, v in kept.items())
        + ")"
        if kept
        else ""
    )
    rewritten = (
        f"DROP TABLE IF EXISTS {table.name}; CREATE EXTERNAL TABLE {table.name} {table.columns}"
        + (f" {table.comment}" if table.comment else "")
        + (f" {row_format}" if row_format else "")
        + f" STORED AS TEXTFILE LOCATION '{partition}'{properties}"
    )
    original = text[table.start : table.end]
    missing = original.count("\n") - rewritten.count("\n")
    return rewritten + "\n" * max(missing, 0)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def staged_pig(text: str, partition: str, *, where: str = "") -> str:
    """The script with every Kinesis load reading `partition` through TextLoader."""
    pieces: list[str] = []
    position = 0
    for load in kinesis_loads(text):
        _check_schema(load, where)
        pieces += [text[position : load.start], f"'{partition}' USING TextLoader()"]
        # The loader's arguments may span lines: keep the line count.
        pieces.append("\n" * text.count("\n", load.start, load.end))
        position = load.end
    pieces.append(text[position:])
    return "".join(pieces)


def _check_schema(load: KinesisLoad, where: str) -> None:
    if len(load.schema) <= 1 and all(
        field.split(":")[-1].lower() in ("chararray", "bytearray") or ":" not in field
        for field in load.schema
    ):
        return
    at = f"{where}:{load.line}" if where else f"line {load.line}"
    raise UsageError(
        f"{at}: the Kinesis load has the schema ({', '.join(load.schema)}); staged mode reads "
        "one record per line as one chararray field, and how the connector fills several fields "
        "is not documented: load (line:chararray) and split it in the script"
    )
