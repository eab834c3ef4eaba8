"""What an iteration reads: positions, stop rules, per-shard boundaries, and the plan of shards.

A new iteration's plan starts each shard where the previous iteration left it and holds children
back until their parents are finished (the KCL's rule); a rerun's plan reads each shard from its
recorded first record to its recorded end; a batch is cut where a rerun's end or a cap falls.
Pure data and planning: no AWS call is made here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from kiter.errors import Refused
from kiter.stream.formats import iso_utc


@dataclass(frozen=True)
class InitialPosition:
    """Where a first iteration (no previous boundaries) starts each shard."""

    kind: Literal["TRIM_HORIZON", "LATEST"] = "TRIM_HORIZON"


TRIM_HORIZON = InitialPosition("TRIM_HORIZON")
LATEST = InitialPosition("LATEST")


@dataclass(frozen=True)
class StopPolicy:
    """When a shard's reading stops in a new iteration (a rerun stops at its recorded end)."""

    # Seconds without a record after which a caught-up shard stops; None: at once when caught up.
    nodata_timeout: float | None = None
    # Seconds after the iteration's start at which every shard stops, data or not.
    iteration_timeout: float | None = None
    # Per shard: Kinesis records / data bytes after which the shard stops.
    max_records: int | None = None
    max_bytes: int | None = None
    # GetRecords Limit (Kinesis allows at most 10,000).
    batch_size: int = 10_000


@dataclass
class ShardBoundary:
    """Where one shard's reading started and ended in an iteration.

    Sequence numbers are strings (they exceed DynamoDB's 38 digits) and compare as ints.
    """

    shard_id: str
    start_after: str | None = None  # None: from the shard's beginning or the initial position
    end: str | None = None  # last sequence number read; None: nothing read
    finished: bool = False  # a closed shard read to its end
    parent_ids: list[str] = field(default_factory=list)
    first: str | None = None  # first sequence number read: what a rerun starts AT and checks
    # With no sequence number to start after: an ISO time to start AT_TIMESTAMP, or "LATEST"
    # resolved to the time the reading started (so the next iteration misses nothing).
    start_timestamp: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShardBoundary:
        def seq(value: Any) -> str | None:
            return None if value is None else str(value)

        return cls(
            shard_id=str(data["shard_id"]),
            start_after=seq(data.get("start_after")),
            end=seq(data.get("end")),
            finished=bool(data.get("finished", False)),
            parent_ids=[str(p) for p in data.get("parent_ids") or []],
            first=seq(data.get("first")),
            start_timestamp=data.get("start_timestamp"),
        )

    @property
    def resume_after(self) -> str | None:
        """The sequence number the next iteration starts after."""
        return self.end if self.end is not None else self.start_after


@dataclass
class ShardStats:
    records: int = 0  # user records staged (after KPL de-aggregation)
    kinesis_records: int = 0
    bytes: int = 0  # data bytes of the Kinesis records
    throttles: int = 0
    calls: int = 0
    read_seconds: float = 0.0
    first_arrival: str | None = None
    last_arrival: str | None = None


@dataclass
class IterationRead:
    """What one read of an iteration staged: boundaries to record and stats to report."""

    iteration: int
    boundaries: dict[str, ShardBoundary]
    stats: dict[str, ShardStats]
    rerun: bool = False

    @property
    def total_records(self) -> int:
        return sum(s.records for s in self.stats.values())

    @property
    def total_bytes(self) -> int:
        return sum(s.bytes for s in self.stats.values())

    @property
    def total_throttles(self) -> int:
        return sum(s.throttles for s in self.stats.values())

    def boundaries_dict(self) -> dict[str, dict[str, Any]]:
        return {sid: b.to_dict() for sid, b in sorted(self.boundaries.items())}


@dataclass
class Task:
    shard_id: str
    parent_ids: list[str]
    iterator_args: dict[str, Any]
    start_after: str | None
    start_timestamp: str | None
    exact_end: int | None = None  # rerun: stop after this sequence number
    exact_first: str | None = None
    # The shard's EndingSequenceNumber when ListShards reported it closed: caught up is then not
    # the end of it, only a missing NextShardIterator (or reading up to this number) is.
    closed_at: str | None = None


def closed_at(shard: Mapping[str, Any]) -> str | None:
    """A closed shard's EndingSequenceNumber (None while it is open)."""
    ending = (shard.get("SequenceNumberRange") or {}).get("EndingSequenceNumber")
    return None if ending is None else str(ending)


def parents_of(shard: Mapping[str, Any]) -> list[str]:
    return [p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p]


def ready_children(waiting: dict[str, Task], finished: set[str]) -> list[Task]:
    ready = [t for t in waiting.values() if all(p in finished for p in t.parent_ids)]
    for task in ready:
        del waiting[task.shard_id]
    return ready


def rerun_plan(exact: Mapping[str, ShardBoundary]) -> list[Task]:
    tasks = []
    for sid, b in sorted(exact.items()):
        if b.end is None:
            continue
        if b.first is not None:
            args: dict[str, Any] = {
                "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                "StartingSequenceNumber": b.first,
            }
        elif b.start_after is not None:
            args = _start_args(b.start_after, None)
        else:
            args = {"ShardIteratorType": "TRIM_HORIZON"}
        tasks.append(
            Task(
                sid,
                list(b.parent_ids),
                args,
                b.start_after,
                b.start_timestamp,
                exact_end=int(b.end),
                exact_first=b.first,
            )
        )
    return tasks


def _start_args(start_after: str | None, start_timestamp: str | None) -> dict[str, Any]:
    if start_after is not None:
        return {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": start_after}
    if start_timestamp is not None:
        return {
            "ShardIteratorType": "AT_TIMESTAMP",
            "Timestamp": datetime.fromisoformat(start_timestamp.replace("Z", "+00:00")),
        }
    return {"ShardIteratorType": "TRIM_HORIZON"}


def new_plan(
    shards: list[dict[str, Any]],
    previous: Mapping[str, ShardBoundary] | None,
    initial: InitialPosition,
    iteration: int,
    stream: str,
    now: Callable[[], datetime],
) -> tuple[list[Task], dict[str, ShardBoundary], dict[str, Task]]:
    """(shards to read now, finished boundaries carried over, children waiting for parents)."""
    listed = {s["ShardId"]: s for s in shards}
    prev = dict(previous or {})
    for sid, gone in sorted(prev.items()):
        if sid not in listed and not gone.finished:
            raise Refused(
                f"iteration {iteration} of {stream}: shard {sid} was not read to its end and is "
                "gone from the stream (expired); start a new logical name"
            )
    # A first iteration fixes LATEST to a time, so a shard that reads nothing now resumes there.
    first_stamp: str | None = None
    if previous is None and initial.kind == "LATEST":
        first_stamp = iso_utc(now())
    carried: dict[str, ShardBoundary] = {}
    ready: list[Task] = []
    waiting: dict[str, Task] = {}
    known = set(listed) | set(prev)
    finished = {sid for sid, done in prev.items() if done.finished}
    for sid in sorted(listed):
        b = prev.get(sid)
        if b is not None and b.finished:
            # Carried as read-nothing-in-this-iteration: a rerun must not re-read what an
            # earlier iteration read from it.
            carried[sid] = ShardBoundary(
                sid, start_after=b.resume_after, finished=True, parent_ids=list(b.parent_ids)
            )
            continue
        parents = [p for p in parents_of(listed[sid]) if p in known]
        if b is not None:
            task = Task(
                sid,
                parents,
                _start_args(b.resume_after, b.start_timestamp),
                b.resume_after,
                b.start_timestamp if b.resume_after is None else None,
                closed_at=closed_at(listed[sid]),
            )
        else:
            stamp = first_stamp
            task = Task(
                sid,
                parents,
                _start_args(None, stamp),
                None,
                stamp,
                closed_at=closed_at(listed[sid]),
            )
        if all(p in finished for p in parents):
            ready.append(task)
        else:
            waiting[sid] = task
    return ready, carried, waiting


def cut_at_end(records: list[dict[str, Any]], end: int) -> tuple[list[dict[str, Any]], bool]:
    """A rerun's batch up to and including its recorded end record; True once it is reached."""
    for i, record in enumerate(records):
        seq = int(record["SequenceNumber"])
        if seq >= end:
            return records[: i + 1] if seq == end else records[:i], True
    return records, False


def cut_at_cap(
    records: list[dict[str, Any]], stats: ShardStats, stop: StopPolicy
) -> tuple[list[dict[str, Any]], bool]:
    """A batch up to the record that reaches a per-shard cap; True when a cap is reached."""
    count, size = stats.kinesis_records, stats.bytes
    for i, record in enumerate(records):
        count += 1
        size += len(record["Data"])
        if (stop.max_records is not None and count >= stop.max_records) or (
            stop.max_bytes is not None and size >= stop.max_bytes
        ):
            return records[: i + 1], True
    return records, False
