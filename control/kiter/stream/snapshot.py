"""Snapshot a small DynamoDB table (a dimension such as ad campaigns) into a staged text file.

Staged jobs join stream records with such a table; the connector's DynamoDB storage handler exists
only on EMR, so kiter scans the table and stages it as tab-separated lines a Hive external table
reads (`ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\'`, NULL as `\\N`).

The whole table is held in memory to sort it: this is for dimension tables, not fact tables.
Output is deterministic (sorted by the first column, then by the whole line), so re-staging an
unchanged table gives identical bytes. This room only reads DynamoDB; it never writes.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import IO, Any

from kiter.aws import is_aws_error, service_error

NULL = "\\N"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _plain(value: dict[str, Any]) -> Any:
    """A DynamoDB AttributeValue as plain JSON-able Python (for nested lists and maps)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        return Decimal(inner)
    if kind == "B":
        return base64.b64encode(inner).decode()
    if kind == "BOOL":
        return bool(inner)
    if kind == "NULL":
        return None
    if kind in ("SS", "NS", "BS"):
        return sorted(_plain({kind[0]: v}) for v in inner)
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "M":
        return {k: _plain(v) for k, v in sorted(inner.items())}
    raise ValueError(f"unknown DynamoDB attribute type {kind}")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def cell(value: dict[str, Any] | None) -> str:
    """One column of a snapshot line: scalars as text, sets/lists/maps as compact JSON."""
    if value is None or "NULL" in value:
        return NULL
    if "S" in value:
        return _escape(value["S"])
    if "N" in value:
        return str(value["N"])
    if "BOOL" in value:
        return "true" if value["BOOL"] else "false"
    if "B" in value:
        return base64.b64encode(value["B"]).decode()
    text = json.dumps(
        _plain(value), default=_json_default, ensure_ascii=False, separators=(",", ":")
    )
    return _escape(text)


def snapshot_table(
    dynamodb_client: Any,
    table: str,
    columns: list[str],
    out: IO[bytes],
    *,
    digest: Any = None,
) -> int:
    """Scan `table` and write one tab-separated line per item, columns in the given order.

    Returns the number of lines written; `digest` (a hashlib object) is fed every byte written.
    A missing attribute is written as `\\N`.
    """
    if not columns:
        raise ValueError("snapshot_table needs at least one column")
    rows: list[tuple[str, str]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    try:
        for page in dynamodb_client.get_paginator("scan").paginate(**kwargs):
            for item in page.get("Items", []):
                cells = [cell(item.get(name)) for name in columns]
                rows.append((cells[0], "\t".join(cells)))
    except Exception as exc:
        if is_aws_error(exc):
            raise service_error(exc, f"scanning DynamoDB table {table}") from exc
        raise
    rows.sort()
    for _key, line in rows:
        data = line.encode("utf-8") + b"\n"
        out.write(data)
        if digest is not None:
            digest.update(data)
    return len(rows)
