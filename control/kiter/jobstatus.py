"""Where each job stands: its last finished iteration, the one under way, the next number, the
backlog.

The ledger reads stay constant: the head, the two newest iterations, and the iteration a live
lease holds when it is not one of those (a re-run of an old one). Nothing reads the history.
What they say is what `kiter iterations` says, in other words: an iteration is *finished* when it
SUCCEEDED or FAILED; one that is CLAIMED or RUNNING, or staged by `kiter stage` and not run yet
(the ledger keeps it FAILED with the reason "staged, not yet run", so that the next submit takes
it), is *current*.

The backlog is the age of the oldest record no iteration has read: for each shard, one
GetRecords right after the end recorded by the last SUCCEEDED iteration (from the shard's start
when no iteration read it yet; finished shards skip). Only staged jobs record where they ended; a
connector job's positions are the connector's own, so its backlog is unknown to kiter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiter.durations import format_duration
from kiter.metastore.records import IterationRecord, Lease, epoch, iso
from kiter.project import JobConfig
from kiter.stream.kinesis import call_with_backoff, list_shards
from kiter.stream.plan import ShardBoundary, closed_at

# What the current iteration is doing: a live lease holds it; it runs on the engine with nobody
# watching (after --no-wait, or a holder that stopped: the next submit follows it); it waits,
# staged, for a submit; its holder stopped before submitting anything (the next claim retakes it).
RUNNING, DETACHED, STAGED, ABANDONED = "running", "detached", "staged", "abandoned"
IN_FLIGHT = ("CLAIMED", "RUNNING")


def is_finished(record: IterationRecord) -> bool:
    return record.state == "SUCCEEDED" or (record.state == "FAILED" and not record.staged_not_run)


@dataclass(frozen=True)
class Current:
    """The iteration under way or waiting: the ledger's record and what it is doing."""

    record: IterationRecord
    status: str  # RUNNING | DETACHED | STAGED | ABANDONED
    lease: Lease | None = None  # the live lease that holds it (RUNNING only)

    @property
    def since(self) -> str:
        """Since when it is in this state: the claim (held), the submission (detached), the
        staging (staged), the claim (abandoned)."""
        if self.lease is not None:
            return self.lease.since
        if self.status == RUNNING:
            return self.record.claimed
        if self.status == STAGED:
            return self.record.finished
        if self.status == DETACHED:
            return self.record.started or self.record.claimed
        return self.record.claimed

    def to_json(self) -> dict[str, Any]:
        return self.record.to_json() | {"status": self.status, "since": self.since or None}

    def running_json(self) -> dict[str, Any] | None:
        """The run now, in the shape `running` always had (a lease's) plus what the iteration
        records; None when nothing runs (staged, abandoned)."""
        r = self.record
        extra = {
            "state": r.state,
            "attempts": r.attempts,
            "submission_id": r.submission_id or None,
            "watched": self.status == RUNNING,
        }
        if self.lease is not None:
            return self.lease.to_json() | extra
        if self.status not in (RUNNING, DETACHED):
            return None
        return {
            "logical": r.logical,
            "iteration": r.iteration,
            "owner": r.owner.to_json() if r.owner else None,  # its holder, or who submitted it
            "since": self.since or None,
            "expires": iso(r.lease_expires) if self.status == RUNNING and r.lease_expires else None,
        } | extra


@dataclass
class JobStatus:
    job: str
    logical_name: str
    stream: str
    mode: str
    next: int
    last: IterationRecord | None  # the newest iteration that finished (SUCCEEDED or FAILED)
    running: Lease | None  # a live lease: an iteration running now under a watcher
    current: Current | None = None  # the iteration under way or staged, if any
    ever_ran: bool = False  # the ledger holds at least one iteration of the logical name
    open_shards: int | None = None
    backlog_seconds: float | None = None  # age of the oldest unread record; 0: caught up
    backlog_note: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        current = self.current
        running = current.running_json() if current else None
        if running is None and self.running is not None:
            running = self.running.to_json() | {
                "state": None,
                "attempts": None,
                "submission_id": None,
                "watched": True,
            }
        return {
            "job": self.job,
            "logical_name": self.logical_name,
            "stream": self.stream,
            "mode": self.mode,
            "next": self.next,
            "last": self.last.to_json() if self.last else None,
            "running": running,
            "current": current.to_json() if current else None,
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
    """The job's status; `problems` says why it is not healthy (a FAILED last finished
    iteration, a backlog older than `max_age` seconds)."""
    head = ledger.head(job.logical_name)
    newest: list[IterationRecord] = ledger.history(job.logical_name, newest_first=True, limit=2)
    lease = head.lease if head and head.lease and head.lease.expires > now() else None
    status = JobStatus(
        job=job.name,
        logical_name=job.logical_name,
        stream=job.stream,
        mode=job.mode,
        next=head.next if head else 0,
        last=next((r for r in newest if is_finished(r)), None),
        running=lease,
        current=_current(ledger, job.logical_name, newest, lease, now()),
        ever_ran=bool(newest),
    )
    last = status.last
    if last is not None and last.state == "FAILED":
        retry = " (the next submit retries it)" if last.iteration == status.next else ""
        status.problems.append(
            f"iteration {last.iteration} FAILED: {last.reason} [{_attempts(last.attempts)}]{retry}"
        )
    _backlog(status, job, newest, kinesis, now)
    if (
        max_age is not None
        and status.backlog_seconds is not None
        and status.backlog_seconds > max_age
    ):
        status.problems.append(
            f"the oldest unread record is {format_duration(status.backlog_seconds)} old "
            f"(more than {format_duration(max_age)})"
        )
    return status


def _current(
    ledger: Any,
    logical: str,
    newest: list[IterationRecord],
    lease: Lease | None,
    now: float,
) -> Current | None:
    if lease is not None:
        held = next((r for r in newest if r.iteration == lease.iteration), None)
        if held is None:  # a re-run of an older iteration: one more read, not a history
            held = ledger.get(logical, lease.iteration)
        if held is not None and held.state in IN_FLIGHT:
            return Current(held, RUNNING, lease)
    for record in newest:  # newest first
        if record.staged_not_run:
            return Current(record, STAGED)
        if record.state in IN_FLIGHT and record.lease_expires and record.lease_expires > now:
            # Claimed after the head was read: the item's own lease says it is held.
            return Current(record, RUNNING)
        if record.state == "RUNNING":
            return Current(record, DETACHED)
        if record.state == "CLAIMED":
            return Current(record, ABANDONED)
    return None


def _attempts(n: int) -> str:
    return f"{n} attempt" + ("" if n == 1 else "s")


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


def status_rows(statuses: list[JobStatus]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The statuses as a table: one row a job, its last finished iteration then its current one."""
    columns = [
        "job",
        "logical name",
        "last",
        "state",
        "attempts",
        "ended",
        "took",
        "current",
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
                took = format_duration(end - start)
        backlog = format_duration(s.backlog_seconds) if s.backlog_seconds is not None else "unknown"
        rows.append(
            (
                s.job,
                s.logical_name,
                last.iteration if last else "",
                last.state if last else ("" if s.ever_ran else "never ran"),
                last.attempts if last else "",
                last.finished if last else "",
                took,
                _current_cell(s),
                s.next,
                backlog,
                s.open_shards if s.open_shards is not None else "?",
            )
        )
    return columns, rows


def _current_cell(s: JobStatus) -> str:
    current = s.current
    if current is None:
        return ""
    r = current.record
    attempt = f"(attempt {r.attempts})"
    if current.status == STAGED:
        return f"{r.iteration} staged at {current.since}, not run yet {attempt}"
    if current.status == ABANDONED:
        host = f" of {r.owner.host}" if r.owner else ""
        return f"{r.iteration} CLAIMED, its lease{host} expired {attempt}"
    submission = f" {r.submission_id}" if r.submission_id else ""
    if current.status == DETACHED:
        return f"{r.iteration} RUNNING{submission} since {current.since}, not watched {attempt}"
    holder = current.lease.owner if current.lease else r.owner
    on = f" on {holder.host}" if holder else ""
    return f"{r.iteration} {r.state}{submission}{on} since {current.since} {attempt}"


__all__ = ["Current", "JobStatus", "iso", "job_status", "status_rows"]
