"""Data into the embedded stack's streams: records from a file or stdin, or web-log traffic.

A line is a record (its partition key derived from its position, so records spread over the
shards), or with `jsonl` a JSON object `{"data": ..., "partition_key": ...}`. The traffic is the
demo's web-log generator with its known mix of statuses, regions, browsers and domains, at a steady
rate. Both report progress through a callback; neither knows which endpoint it talks to (the
caller gives the local stack's client).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from kiter.errors import UsageError
from kiter.local.traffic import Traffic

Progress = Callable[[int], None]  # records put so far
BATCH = 500  # PutRecords' limit


def records_from(lines: TextIO, *, jsonl: bool, where: str) -> Iterator[tuple[bytes, str]]:
    """(data, partition key) of each line; a bad JSON line is an error naming where:line."""
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\n").rstrip("\r")
        if not jsonl:
            yield line.encode("utf-8"), f"{number:08x}"
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            data, key = record["data"], record.get("partition_key") or f"{number:08x}"
        except (ValueError, KeyError, TypeError, AttributeError):
            raise UsageError(
                f'{where}:{number}: expected {{"data": "...", "partition_key": "..."}}'
            ) from None
        if not isinstance(data, str) or not isinstance(key, str):
            raise UsageError(f"{where}:{number}: data and partition_key must be strings")
        yield data.encode("utf-8"), key


def put_records(
    kinesis: Any, stream: str, records: Iterable[tuple[bytes, str]], progress: Progress
) -> int:
    """Put every record (batches of 500, failed entries put again); returns how many."""
    put = 0
    batch: list[dict[str, Any]] = []
    for data, key in records:
        batch.append({"Data": data, "PartitionKey": key})
        if len(batch) == BATCH:
            put += _put_batch(kinesis, stream, batch)
            progress(put)
            batch = []
    if batch:
        put += _put_batch(kinesis, stream, batch)
        progress(put)
    return put


def _put_batch(kinesis: Any, stream: str, batch: list[dict[str, Any]]) -> int:
    pending = batch
    for _ in range(10):
        response = kinesis.put_records(StreamName=stream, Records=pending)
        if not response.get("FailedRecordCount"):
            return len(batch)
        pending = [r for r, a in zip(pending, response["Records"], strict=True) if "ErrorCode" in a]
        time.sleep(0.2)
    raise UsageError(f"{len(pending)} records could not be put to {stream}")


def run_traffic(
    kinesis: Any,
    stream: str,
    *,
    rate: float,
    records: int | None,
    progress: Progress,
    seed: int | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Put generated web-log lines at `rate` a second, `records` of them or until interrupted."""
    traffic = Traffic() if seed is None else Traffic(seed=seed)
    put = 0
    started = clock()
    while records is None or put < records:
        due = int((clock() - started) * rate) + 1 - put
        count = max(1, min(due, BATCH, (records - put) if records is not None else BATCH))
        lines = traffic.lines(count)
        put += _put_batch(
            kinesis,
            stream,
            [
                {"Data": line.encode("utf-8"), "PartitionKey": f"{hash(line) & 0xFFFFFFFF:08x}"}
                for line in lines
            ],
        )
        progress(put)
        wait = started + put / rate - clock()
        if wait > 0 and (records is None or put < records):
            sleep(wait)
    return put
