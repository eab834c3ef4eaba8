"""Where each job stands: its last iteration, who runs one now, the next number, the backlog.

The backlog is the age of the oldest record no iteration has read yet: for each shard, one
GetRecords right after the end recorded by the last iteration (from the shard's start when no
iteration read it yet; finished shards skip). Only staged jobs record where they ended; a
connector job's positions are the connector's own, so its backlog is unknown to kiter.
The ledger reads stay constant: the head and the two newest iterations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiter.metastore.iterations import IterationRecord, Lease, epoch, iso
from kiter.project import JobConfig
from kiter.stream.kinesis import call_with_backoff, list_shards
from kiter.stream.plan import ShardBoundary, closed_at


@dataclass
class JobStatus:
    job: str
    logical_name: str
    stream: str
    mode: str
    next: int
    last: IterationRecord | None  # the newest iteration that ended (SUCCEEDED or FAILED)
    running: Lease | None  # a live lease: an iteration running now
    open_shards: int | None = None
    backlog_seconds: float | None = None  # age of the oldest unread record; 0: caught up
    backlog_note: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "logical_name": self.logical_name,
            "stream": self.stream,
            "mode": self.mode,
            "next": self.next,
            "last": self.last.to_json() if self.last else None,
            "running": self.running.to_json() if self.running else None,
            "open_shards": self.open_shards,
            "backlog_seconds": self.backlog_seconds,
            "backlog_note": self.backlog_note,
            "healthy": self.healthy,
            "problems": self.problems,
        }


def job_status(
    job: JobConfig,
    ledger: Any,
    kinesis: Any,
    *,
    now: Callable[[], float],
    max_age: float | None = None,
) -> JobStatus:
    """The job's status; `problems` says why it is not healthy (a FAILED last iteration, a
    backlog older than `max_age` seconds)."""
    head = ledger.head(job.logical_name)
    newest = ledger.history(job.logical_name, newest_first=True, limit=2)
    ended = [r for r in newest if r.state in ("SUCCEEDED", "FAILED")]
    lease = head.lease if head and head.lease and head.lease.expires > now() else None
    status = JobStatus(
        job=job.name,
        logical_name=job.logical_name,
        stream=job.stream,
        mode=job.mode,
        next=head.next if head else 0,
        last=ended[0] if ended else None,
        running=lease,
    )
    if status.last is not None and status.last.state == "FAILED" and lease is None:
        status.problems.append(
            f"iteration {status.last.iteration} FAILED: {status.last.reason[:120]}"
        )
    _backlog(status, job, newest, kinesis, now)
    if (
        max_age is not None
        and status.backlog_seconds is not None
        and status.backlog_seconds > max_age
    ):
        status.problems.append(
            f"the oldest unread record is {_age(status.backlog_seconds)} old "
            f"(more than {_age(max_age)})"
        )
    return status


def _backlog(
    status: JobStatus,
    job: JobConfig,
    newest: list[IterationRecord],
    kinesis: Any,
    now: Callable[[], float],
) -> None:
    try:
        shards = list_shards(kinesis, job.stream)
    except Exception as exc:  # the stream is not visible from here: say so, stay useful
        status.backlog_note = f"stream {job.stream}: {exc}"
        return
    status.open_shards = sum(1 for s in shards if closed_at(s) is None)
    if job.mode != "staged":
        status.backlog_note = "connector mode: the connector keeps the positions"
        return
    succeeded = next((r for r in newest if r.state == "SUCCEEDED"), None)
    ends = {
        sid: ShardBoundary.from_dict(b)
        for sid, b in (succeeded.shards if succeeded else {}).items()
        if "shard_id" in b
    }
    oldest: float | None = None
    for shard in shards:
        boundary = ends.get(shard["ShardId"])
        if boundary is not None and boundary.finished:
            continue
        after = boundary.resume_after if boundary else None
        args: dict[str, Any] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
            if after is not None
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = call_with_backoff(
            kinesis,
            "GetShardIterator",
            None,
            sleep=_short_sleep,
            StreamName=job.stream,
            ShardId=shard["ShardId"],
            **args,
        )["ShardIterator"]
        records = call_with_backoff(
            kinesis, "GetRecords", None, sleep=_short_sleep, ShardIterator=iterator, Limit=1
        ).get("Records", [])
        if records:
            arrived = records[0].get("ApproximateArrivalTimestamp")
            when = arrived.timestamp() if isinstance(arrived, datetime) else float(arrived or now())
            oldest = when if oldest is None else min(oldest, when)
    status.backlog_seconds = 0.0 if oldest is None else max(0.0, now() - oldest)


def _short_sleep(seconds: float) -> None:
    import time

    time.sleep(min(seconds, 1.0))


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def status_rows(statuses: list[JobStatus]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The statuses as a table: one row a job."""
    columns = [
        "job",
        "logical name",
        "last",
        "state",
        "ended",
        "took",
        "running",
        "next",
        "backlog",
        "shards",
    ]
    rows = []
    for s in statuses:
        last = s.last
        took = ""
        if last is not None:
            start, end = epoch(last.claimed), epoch(last.finished)
            if start is not None and end is not None:
                took = _age(end - start)
        running = (
            f"{s.running.iteration} on {s.running.owner.host} since {s.running.since}"
            if s.running
            else ""
        )
        backlog = _age(s.backlog_seconds) if s.backlog_seconds is not None else "unknown"
        rows.append(
            (
                s.job,
                s.logical_name,
                last.iteration if last else "",
                last.state if last else "never ran",
                last.finished if last else "",
                took,
                running,
                s.next,
                backlog,
                s.open_shards if s.open_shards is not None else "?",
            )
        )
    return columns, rows


__all__ = ["JobStatus", "iso", "job_status", "status_rows"]
