"""Staging one claimed iteration: where its reading starts, when it stops, what else goes with it.

From the claim: a rerun re-reads exactly the recorded boundaries; a new iteration starts each shard
where iteration N-1 ended (refused when N-1 recorded none, as in connector mode). The reading goes
through `reader.read_iteration` into a partition of the project's staging root; the boundaries are
recorded (through the callback the runner gives) before the partition becomes visible. A job with a
campaign table gets its snapshot staged beside the iteration, once (reruns reuse it), in the
columns the caller names: which attributes a job's templates join on is not this room's to know.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kiter import pausepoints
from kiter.echo import NO_PROGRESS, Echo, Progress
from kiter.errors import Refused
from kiter.layout import campaigns_logical
from kiter.metastore.records import Claim, IterationRecord
from kiter.project import JobConfig
from kiter.stream.formats import RecordFormat
from kiter.stream.kinesis import list_shards
from kiter.stream.plan import (
    LATEST,
    TRIM_HORIZON,
    IterationRead,
    ShardBoundary,
    StopPolicy,
    Task,
    new_plan,
    rerun_plan,
)
from kiter.stream.reader import read_iteration
from kiter.stream.snapshot import snapshot_table
from kiter.stream.staging import Staging, open_staging

RecordBoundaries = Callable[[Mapping[str, Mapping[str, Any]]], None]
RecordStaged = Callable[[str, Mapping[str, Any]], None]


def stop_policy(job: JobConfig) -> StopPolicy:
    """When a new iteration's reading of each shard stops, from the job's settings."""
    return StopPolicy(
        nodata_timeout=job.nodata_timeout * 60 if job.nodata_timeout else None,
        iteration_timeout=job.iteration_timeout * 60 if job.iteration_timeout else None,
        max_records=job.max_records,
        max_bytes=job.max_bytes,
        batch_size=job.batch_size or 10_000,
    )


def stage_claimed_iteration(
    job: JobConfig,
    claim: Claim,
    *,
    location: str,
    clients: Callable[..., Any],
    record_boundaries: RecordBoundaries,
    record_staged: RecordStaged,
    echo: Echo,
    snapshot_columns: Sequence[str],
    still_held: Callable[[str], None] = lambda phase: None,
    progress: Progress = NO_PROGRESS,
) -> IterationRead:
    """Read and stage the claimed iteration; `clients(service, **options)` hands out AWS clients.

    `snapshot_columns`: the attributes of the job's campaign table staged with it, in order.

    `still_held(phase)` raises when the claim's lease was lost meanwhile: it is asked once the
    records are read, before the partition becomes visible, so a holder stopped past its lease
    while reading publishes nothing.
    """
    staging = open_staging(
        location, s3_client=clients("s3") if location.startswith("s3://") else None
    )
    exact, previous = _start(claim)
    fmt = RecordFormat(job.staging_format, escape_newlines=job.escape_newlines)
    with staging.partition(job.logical_name, claim.iteration, fmt) as writer:
        try:
            read = read_iteration(
                clients("kinesis", retries=False),
                job.stream,
                iteration=claim.iteration,
                previous=previous,
                exact=exact,
                initial=LATEST if job.initial_position == "LATEST" else TRIM_HORIZON,
                stop=stop_policy(job),
                writer=writer,
                echo=echo,
                progress=progress,
            )
        finally:
            progress.done()  # the read is over: its status line goes
        # Recorded before the partition becomes visible and before any script runs: a rerun
        # of this iteration reads exactly these records again (and records nothing new).
        if exact is None:
            record_boundaries(boundaries_to_record(read))
        pausepoints.reach("after-read")
        still_held("reading")
    if job.campaign_table:
        dynamodb = clients("dynamodb")
        _stage_campaigns(job, claim, staging, dynamodb, snapshot_columns, record_staged, echo)
    pausepoints.reach("after-stage")
    echo(
        f"staged iteration {claim.iteration} of {claim.logical}: {read.total_records} records, "
        f"{read.total_bytes} bytes from {len(read.stats)} shard(s)"
        + (f", {read.total_throttles} throttles" if read.total_throttles else "")
    )
    return read


def _start(
    claim: Claim,
) -> tuple[dict[str, ShardBoundary] | None, dict[str, ShardBoundary] | None]:
    """(exact boundaries of a rerun, or None; iteration N-1's boundaries to start after)."""
    return start_boundaries(claim.logical, claim.iteration, claim.record.shards, claim.previous)


def start_boundaries(
    logical: str,
    iteration: int,
    recorded: Mapping[str, Mapping[str, Any]],
    previous: IterationRecord | None,
) -> tuple[dict[str, ShardBoundary] | None, dict[str, ShardBoundary] | None]:
    """(exact boundaries of a rerun, or None; iteration N-1's boundaries to start after), from
    the shards iteration `iteration` recorded and the iteration before it."""
    exact = _boundaries_of(recorded)
    if exact:
        return exact, None
    if iteration > 0 and previous is None:
        raise Refused(
            f"iteration {iteration} of {logical} follows iterations kiter did not "
            "run (they ran in connector mode before kiter kept the ledger): kiter cannot know "
            "where they ended. Start a new logical name for staged mode"
        )
    if previous is not None and not previous.shards:
        raise Refused(
            f"iteration {previous.iteration} of {logical} recorded no shard "
            "boundaries (it ran in connector mode): kiter cannot know where it ended. "
            "Start a new logical name for staged mode"
        )
    return None, _boundaries_of(previous.shards) if previous is not None else None


def planned_starts(
    job: JobConfig,
    iteration: int,
    recorded: Mapping[str, Mapping[str, Any]],
    previous: IterationRecord | None,
    kinesis: Callable[[], Any],
) -> list[dict[str, Any]]:
    """Where a read of this iteration would start each shard (`--dry-run`), planned as the read
    plans it; a new iteration lists the stream's shards (`kinesis()` gives the client: ListShards
    is its only call), a rerun reads only what was recorded. Reads nothing from the stream."""
    exact, previous_ends = start_boundaries(job.logical_name, iteration, recorded, previous)
    if exact is not None:
        return [_start_entry(task, ends_at=task.exact_end) for task in rerun_plan(exact)]
    initial = LATEST if job.initial_position == "LATEST" else TRIM_HORIZON
    ready, carried, waiting = new_plan(
        list_shards(kinesis(), job.stream),
        previous_ends,
        initial,
        iteration,
        job.stream,
        lambda: datetime.now(UTC),
    )
    entries = [_start_entry(task) for task in [*ready, *waiting.values()]]
    entries += [
        {
            "shard_id": sid,
            "iterator_type": None,
            "sequence_number": None,
            "timestamp": None,
            "ends_at": None,
            "waits_for": [],
            "reads": False,  # read to its end by an earlier iteration
        }
        for sid in carried
    ]
    return sorted(entries, key=lambda entry: str(entry["shard_id"]))


def _start_entry(task: Task, ends_at: int | None = None) -> dict[str, Any]:
    args = task.iterator_args
    stamp = args.get("Timestamp")
    return {
        "shard_id": task.shard_id,
        "iterator_type": args["ShardIteratorType"],
        "sequence_number": args.get("StartingSequenceNumber"),
        "timestamp": stamp.isoformat().replace("+00:00", "Z") if stamp is not None else None,
        "ends_at": None if ends_at is None else str(ends_at),
        "waits_for": list(task.parent_ids),
        "reads": True,
    }


def _boundaries_of(shards: Mapping[str, Mapping[str, Any]]) -> dict[str, ShardBoundary]:
    return {sid: ShardBoundary.from_dict(b) for sid, b in shards.items() if "shard_id" in b}


def boundaries_to_record(read: IterationRead) -> dict[str, dict[str, Any]]:
    """Per shard: the reader's boundary plus the ledger's start/end keys and the read's stats."""
    out: dict[str, dict[str, Any]] = {}
    for sid, boundary in sorted(read.boundaries.items()):
        stats = read.stats.get(sid)
        entry = boundary.to_dict() | {"start": boundary.start_after, "end": boundary.end}
        if stats is not None:
            entry |= {
                "records": stats.records,
                "bytes": stats.bytes,
                "throttles": stats.throttles,
                "read_seconds": round(stats.read_seconds, 3),
                "first_arrival": stats.first_arrival,
            }
        out[sid] = entry
    return out


def _stage_campaigns(
    job: JobConfig,
    claim: Claim,
    staging: Staging,
    dynamodb: Any,
    columns: Sequence[str],
    record_staged: RecordStaged,
    echo: Echo,
) -> None:
    """Snapshot the DynamoDB campaign table beside the iteration (customer engagement).

    Taken once per iteration: its reruns join the same campaigns, so a snapshot already staged
    is kept, and one that went missing is taken again only if it comes out the same.
    """
    assert job.campaign_table is not None
    name, iteration = campaigns_logical(job.logical_name), claim.iteration
    recorded = claim.record.staged.get("campaigns")
    if recorded and staging.partition_exists(name, iteration):
        echo(f"kept the {job.campaign_table} snapshot staged with iteration {iteration}")
        return
    digest = hashlib.sha256()
    with staging.partition(name, iteration, RecordFormat()) as part:
        rows = snapshot_table(
            dynamodb,
            job.campaign_table,
            list(columns),
            part.shard_file("campaigns"),
            digest=digest,
        )
        if recorded and recorded.get("sha256") != digest.hexdigest():
            raise Refused(
                f"the {job.campaign_table} snapshot staged with iteration {iteration} of "
                f"{claim.logical} is gone and the table has changed since: a rerun would "
                "join other campaigns. Restore the snapshot or start a new logical name"
            )
    if not recorded:
        record_staged("campaigns", {"sha256": digest.hexdigest(), "rows": rows})
    echo(f"staged {rows} rows of {job.campaign_table} with iteration {iteration}")
