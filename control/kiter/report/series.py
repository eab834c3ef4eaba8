"""What the report charts, taken from the ledger: one point per iteration, nothing invented.

Every value is one the ledger recorded for the iteration's latest attempt, or the difference of
two times it recorded. The ledger is read only through its history, newest first with a limit,
so a report of a logical name with years of iterations reads as much as `--last` says. What this
room must not do: read the stream (the backlog *now* is `kiter status`'s), or draw anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiter.metastore.records import IterationRecord, epoch
from kiter.project import JobConfig

# The state a chart shows: the ledger's, except that an iteration `kiter stage` read and left
# for a submit (kept FAILED so the next claim takes it) is STAGED, not a failure.
STAGED = "STAGED"
FINISHED = ("SUCCEEDED", "FAILED")


@dataclass(frozen=True)
class IterationPoint:
    """One iteration as the report draws it."""

    iteration: int
    state: str  # SUCCEEDED, FAILED, RUNNING, CLAIMED or STAGED
    attempts: int
    began: float | None  # the first claim, epoch seconds
    claimed: float | None  # the latest attempt's claim
    finished: float | None  # the latest attempt's end
    records: int | None  # records staged (staged jobs); None: the ledger has no count
    bytes: int | None
    seconds: float | None  # the latest attempt, claim to end; None until it ends
    backlog: float | None  # the age of the oldest record it read, at its first claim (staged)
    wait: float | None  # from the previous iteration's end to this one's first claim
    reason: str
    steps: Mapping[str, float]  # the runner's own timing of a success: read, submit, total

    @property
    def failed(self) -> bool:
        return self.state == "FAILED"


@dataclass(frozen=True)
class JobSeries:
    """A job's newest iterations, oldest first, and whether the ledger holds older ones."""

    job: str
    logical_name: str
    mode: str
    stream: str
    points: list[IterationPoint]
    more: bool  # the ledger holds iterations older than the ones shown

    @property
    def failed(self) -> list[IterationPoint]:
        return [p for p in self.points if p.failed]

    @property
    def retried(self) -> list[IterationPoint]:
        return [p for p in self.points if p.attempts > 1]

    @property
    def last_success(self) -> IterationPoint | None:
        done = [p for p in self.points if p.state == "SUCCEEDED" and p.finished is not None]
        return max(done, key=lambda p: p.finished or 0.0, default=None)


def read_series(job: JobConfig, ledger: Any, last: int) -> JobSeries:
    """The newest `last` iterations of the job's logical name, from the ledger's history.

    One more is read than shown: it tells whether older iterations exist, and the oldest one
    shown gets its wait from it."""
    newest: list[IterationRecord] = ledger.history(
        job.logical_name, newest_first=True, limit=last + 1
    )
    records = list(reversed(newest))
    return series_of(job, records[-last:], before=records[0] if len(records) > last else None)


def series_of(
    job: JobConfig, records: list[IterationRecord], *, before: IterationRecord | None = None
) -> JobSeries:
    """The points of `records` (oldest first); `before` is the iteration ahead of the first."""
    by_number = {r.iteration: r for r in records}
    if before is not None:
        by_number[before.iteration] = before
    points = [point(r, by_number.get(r.iteration - 1)) for r in records]
    return JobSeries(
        job=job.name,
        logical_name=job.logical_name,
        mode=job.mode,
        stream=job.stream,
        points=points,
        more=before is not None,
    )


def point(record: IterationRecord, previous: IterationRecord | None = None) -> IterationPoint:
    """What the report draws of one iteration; `previous` is iteration - 1 (for the wait)."""
    state = STAGED if record.staged_not_run else record.state
    began, claimed, finished = epoch(record.created), epoch(record.claimed), epoch(record.finished)
    records, size = _counts(record)
    seconds = None
    if state in FINISHED and claimed is not None and finished is not None:
        seconds = max(0.0, finished - claimed)
    steps = record.stats.get("seconds") if state == "SUCCEEDED" else None
    return IterationPoint(
        iteration=record.iteration,
        state=state,
        attempts=record.attempts,
        began=began,
        claimed=claimed,
        finished=finished,
        records=records,
        bytes=size,
        seconds=seconds,
        backlog=_backlog(record, began),
        wait=_wait(record, previous),
        reason=record.reason,
        steps={k: float(v) for k, v in steps.items()} if isinstance(steps, dict) else {},
    )


def _read_shards(record: IterationRecord) -> list[Mapping[str, Any]]:
    """The shards whose read the iteration recorded (staged jobs record stats with bounds)."""
    return [s for s in record.shards.values() if "records" in s]


def _counts(record: IterationRecord) -> tuple[int | None, int | None]:
    """Records and bytes staged: a success's totals, else the sum its shards recorded (a failed
    staged iteration read them before its script failed)."""
    if "records" in record.stats:
        return int(record.stats["records"]), _int(record.stats.get("bytes"))
    shards = _read_shards(record)
    if not shards:
        return None, None
    return sum(int(s["records"]) for s in shards), sum(int(s.get("bytes") or 0) for s in shards)


def _backlog(record: IterationRecord, began: float | None) -> float | None:
    """How far behind the stream the iteration began: its first claim minus the earliest arrival
    time of the first record it read on any shard. Reading starts right after a claim, and a
    retry re-reads the same records, so this is the age of the oldest waiting record when the
    iteration first started, to within the claim's second (a deliberate rerun of an old
    iteration does not make it look far behind). Zero when it read nothing (nothing was
    waiting); None when the ledger cannot say (connector mode: the connector keeps its
    positions)."""
    shards = _read_shards(record)
    if not shards or began is None:
        return None
    if sum(int(s["records"]) for s in shards) == 0:
        return 0.0
    arrivals = [epoch(str(s.get("first_arrival") or "")) for s in shards]
    known = [a for a in arrivals if a is not None]
    if not known:
        return None
    return max(0.0, began - min(known))


def _wait(record: IterationRecord, previous: IterationRecord | None) -> float | None:
    """From iteration - 1's end to this iteration's first claim: the time the stream was left
    unread between them. None when iteration - 1 is not known, or ended after this one began
    (a rerun of it)."""
    if previous is None:
        return None
    began, ended = epoch(record.created), epoch(previous.finished)
    if began is None or ended is None or ended > began:
        return None
    return began - ended


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
