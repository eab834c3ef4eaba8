"""Turning Kinesis records into the bytes of a staged file: KPL de-aggregation and the row formats.

Two formats, both deterministic (the same records always give the same bytes, so a rerun of an
iteration stages a byte-identical partition):

- `lines`: each user record's data, decoded as UTF-8, one per line. A record holding a line break
  would split into two rows, so it is an error naming shard and sequence number, unless
  `escape_newlines` is on: then `\\` becomes `\\\\`, LF becomes `\\n`, CR becomes `\\r` (Hive's
  LazySimpleSerDe undoes this with `ESCAPED BY '\\\\'`).
- `jsonl`: one JSON object per user record with `data`, `partition_key`, `sequence_number`,
  `arrival_time` (UTC, ISO 8601, milliseconds) and `shard`.

KPL-aggregated Kinesis records are split into their user records with the `aws_kinesis_agg`
package's protobuf messages; user records of one Kinesis record share its sequence number.
This room knows nothing about Kinesis clients or where bytes go.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _json_str
from typing import Any

from kiter.choices import FormatName
from kiter.errors import JobFailed, UsageError

# The KPL's framing: 4 magic bytes, a protobuf AggregatedRecord, its MD5 digest.
KPL_MAGIC = b"\xf3\x89\x9a\xc2"
_DIGEST_SIZE = 16

_messages: Any = None


def _messages_pb2() -> Any:
    """aws_kinesis_agg's generated protobuf module, imported once.

    Its messages_pb2 imports `config_pb2` as a top-level module (the package's own deaggregator
    pushes its folder onto sys.path for that). Aliasing the one module object instead avoids both
    a sys.path change and registering config.proto twice in protobuf's descriptor pool.
    """
    global _messages
    if _messages is None:
        if "config_pb2" not in sys.modules:
            sys.modules["config_pb2"] = importlib.import_module("aws_kinesis_agg.config_pb2")
        _messages = importlib.import_module("aws_kinesis_agg.messages_pb2")
    return _messages


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One row to stage: a plain Kinesis record, or one user record out of a KPL aggregate."""

    data: bytes
    partition_key: str
    sequence_number: str
    arrival: datetime | None
    sub_sequence: int | None = None


def deaggregate(record: Mapping[str, Any]) -> list[UserRecord]:
    """The user records in one GetRecords record (itself when it is not KPL-aggregated)."""
    data: bytes = record["Data"]
    seq: str = record["SequenceNumber"]
    arrival = record.get("ApproximateArrivalTimestamp")
    if data.startswith(KPL_MAGIC) and len(data) > len(KPL_MAGIC) + _DIGEST_SIZE:
        body = data[len(KPL_MAGIC) : -_DIGEST_SIZE]
        # The KPL's own rule: a bad digest means the bytes merely look aggregated.
        if hashlib.md5(body, usedforsecurity=False).digest() == data[-_DIGEST_SIZE:]:
            aggregate = _messages_pb2().AggregatedRecord()
            aggregate.ParseFromString(body)
            keys = list(aggregate.partition_key_table)
            try:
                return [
                    UserRecord(inner.data, keys[inner.partition_key_index], seq, arrival, i)
                    for i, inner in enumerate(aggregate.records)
                ]
            except IndexError as exc:
                raise JobFailed(
                    f"KPL-aggregated record {seq} has a partition key index out of range"
                ) from exc
    return [UserRecord(data, record["PartitionKey"], seq, arrival)]


def iso_utc(when: datetime | None) -> str | None:
    """An arrival timestamp as UTC ISO 8601 with milliseconds, e.g. 2024-05-01T12:00:00.123Z."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class RecordFormat:
    """How user records become bytes in a staged file."""

    name: FormatName = "lines"
    escape_newlines: bool = False

    def __post_init__(self) -> None:
        if self.name not in ("lines", "jsonl"):
            raise UsageError(f"unknown staging format {self.name!r}: use 'lines' or 'jsonl'")

    @property
    def extension(self) -> str:
        return "txt" if self.name == "lines" else "jsonl"

    def encode(self, records: Sequence[Mapping[str, Any]], shard_id: str) -> bytes:
        """The bytes for one GetRecords batch from `shard_id`, de-aggregated, in order."""
        return self.encode_batch(records, shard_id)[0]

    def encode_batch(
        self, records: Sequence[Mapping[str, Any]], shard_id: str
    ) -> tuple[bytes, int]:
        """(bytes, number of user records) for one GetRecords batch."""
        users: Sequence[UserRecord | Mapping[str, Any]] = records
        if any(r["Data"].startswith(KPL_MAGIC) for r in records):
            users = [u for r in records for u in deaggregate(r)]
        if self.name == "lines":
            return self._lines(users, shard_id), len(users)
        return self._jsonl(users, shard_id), len(users)

    def _lines(self, users: Sequence[UserRecord | Mapping[str, Any]], shard_id: str) -> bytes:
        datas = [_data(u) for u in users]
        joined = b"\n".join(datas)
        # Fast path, all in C: one UTF-8 check and one line-break count for the whole batch.
        try:
            joined.decode("utf-8")
            clean = joined.count(b"\n") == len(datas) - 1 and b"\r" not in joined
        except UnicodeDecodeError:
            clean = False
        if clean and not (self.escape_newlines and b"\\" in joined):
            return joined + b"\n" if datas else b""
        return b"".join(self._line(_data(u), shard_id, _seq(u)) for u in users)

    def _line(self, data: bytes, shard_id: str, seq: str) -> bytes:
        _check_utf8(data, shard_id, seq)
        if b"\n" in data or b"\r" in data:
            if not self.escape_newlines:
                raise JobFailed(
                    f"record {seq} in {shard_id} contains a line break; the 'lines' format "
                    "needs escape_newlines = true or the 'jsonl' format"
                )
            data = data.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
        elif self.escape_newlines and b"\\" in data:
            data = data.replace(b"\\", b"\\\\")
        return data + b"\n"

    def _jsonl(self, users: Sequence[UserRecord | Mapping[str, Any]], shard_id: str) -> bytes:
        # Hand-built JSON (field order fixed) with the C string encoder: json.dumps per row costs
        # several times more. Equivalent to json.dumps(..., ensure_ascii=False, separators=(",", ":")).
        shard = _json_str(shard_id)
        last_when: Any = object()
        last_iso = "null"
        rows = []
        for user in users:
            data, seq = _data(user), _seq(user)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                _check_utf8(data, shard_id, seq)
                raise
            when = _arrival(user)
            if when != last_when:
                last_when = when
                iso = iso_utc(when)
                last_iso = "null" if iso is None else f'"{iso}"'
            rows.append(
                f'{{"data":{_json_str(text)},"partition_key":{_json_str(_key(user))},'
                f'"sequence_number":"{seq}","arrival_time":{last_iso},"shard":{shard}}}\n'
            )
        return "".join(rows).encode("utf-8")


def _data(user: UserRecord | Mapping[str, Any]) -> bytes:
    return user.data if isinstance(user, UserRecord) else user["Data"]


def _seq(user: UserRecord | Mapping[str, Any]) -> str:
    return user.sequence_number if isinstance(user, UserRecord) else user["SequenceNumber"]


def _key(user: UserRecord | Mapping[str, Any]) -> str:
    return user.partition_key if isinstance(user, UserRecord) else user["PartitionKey"]


def _arrival(user: UserRecord | Mapping[str, Any]) -> datetime | None:
    return user.arrival if isinstance(user, UserRecord) else user.get("ApproximateArrivalTimestamp")


def _check_utf8(data: bytes, shard_id: str, seq: str) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JobFailed(
            f"record {seq} in {shard_id} is not UTF-8 text (byte {exc.start}); "
            "staged formats hold text only"
        ) from exc


def as_format(fmt: RecordFormat | str) -> RecordFormat:
    """A RecordFormat from itself or from its name."""
    return fmt if isinstance(fmt, RecordFormat) else RecordFormat(fmt)  # type: ignore[arg-type]
