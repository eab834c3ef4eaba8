"""Staged mode's stream reader: read one iteration of a Kinesis stream into a partition writer.

An iteration is a set of per-shard boundaries. A new iteration starts each shard right after where
the previous one ended, reads every shard open during the window until it is caught up (or a
timeout or cap), and reports the new boundaries; the caller records them. A rerun gets those
boundaries back as `exact` and reads each shard from the same first record up to and including
the same last one, so it stages byte-identical files.

Rules kept here:
- Resharding follows the KCL: a child shard is read only once all its parents are finished (a
  closed shard read until GetRecords returns no NextShardIterator), in the same iteration when the
  parents finish during it, else in a later one. A shard ListShards reports closed is read past
  "caught up" (no records, MillisBehindLatest 0: the first answer at a closed shard's end) until
  its iterator runs out or the read reaches its EndingSequenceNumber; caught up is not finished.
- Data that expired from the stream is refused (`kiter.errors.Refused`), never skipped.
- At most one GetRecords per shard each `min_call_interval` seconds (Kinesis allows 5 a second per
  shard); throttles and transient failures are retried with backoff (one layer: the runner hands
  this module a client without botocore retries, `Aws.client("kinesis", retries=False)`) and
  throttles counted per shard, including any retries a botocore client made itself.
- Bounded memory: each batch is encoded and written to its shard's file as it arrives.
- Caps (`max_records`, `max_bytes`) are per shard and count Kinesis records and their data bytes
  (before KPL de-aggregation): a per-shard cap keeps each shard's cut deterministic whatever the
  thread timing. A shard stops after the batch record that reaches a cap.

This room does not choose iteration numbers, touch the ledger or print: progress goes to `echo`,
and the records read so far to `progress` (the status line of the wait).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any

from kiter.aws import error_code, is_aws_error, service_error
from kiter.echo import NO_PROGRESS, Echo, Progress
from kiter.errors import KiterError, Refused
from kiter.stream.formats import iso_utc
from kiter.stream.kinesis import call_with_backoff, list_shards, message
from kiter.stream.plan import (
    LATEST,
    TRIM_HORIZON,
    InitialPosition,
    IterationRead,
    ShardBoundary,
    ShardStats,
    StopPolicy,
    Task,
    cut_at_cap,
    cut_at_end,
    new_plan,
    ready_children,
    rerun_plan,
)
from kiter.stream.staging import PartitionWriter

__all__ = [
    "LATEST",
    "TRIM_HORIZON",
    "InitialPosition",
    "IterationRead",
    "ShardBoundary",
    "ShardStats",
    "StopPolicy",
    "list_shards",
    "read_iteration",
]

# Empty answers from a closed shard before the read gives up on finishing it in this iteration
# (Kinesis and kinesalite end a closed shard's iterator on the second one).
MAX_EMPTY_READS_OF_CLOSED_SHARD = 50


class _Stop(Exception):
    """Another shard failed: stop this one quietly."""


class _Reader:
    def __init__(
        self,
        client: Any,
        stream: str,
        iteration: int,
        stop: StopPolicy,
        writer: PartitionWriter,
        echo: Echo,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        min_call_interval: float,
        progress: Progress = NO_PROGRESS,
    ) -> None:
        self.client = client
        self.progress = progress
        self.records = 0  # read so far, every shard together (shard threads add to it)
        self._counting = threading.Lock()
        self.stream = stream
        self.iteration = iteration
        self.stop = stop
        self.writer = writer
        self.echo = echo
        self.clock = clock
        self.sleep = sleep
        self.min_call_interval = min_call_interval
        self.failed = threading.Event()
        self.started = clock()

    def _read(self, records: int) -> None:
        with self._counting:
            self.records += records
            total = self.records
        where = f"reading {self.stream} (iteration {self.iteration})"
        self.progress.update(where, None, f"{total:,} records so far")

    def call(self, action: str, stats: ShardStats | None, **kwargs: Any) -> dict[str, Any]:
        return call_with_backoff(
            self.client,
            action,
            stats,
            sleep=self.sleep,
            first_backoff=self.min_call_interval,
            **kwargs,
        )

    # -- one shard -----------------------------------------------------------------------------

    def read_shard(self, task: Task) -> tuple[ShardBoundary, ShardStats]:
        stats = ShardStats()
        boundary = ShardBoundary(
            task.shard_id,
            start_after=task.start_after,
            parent_ids=list(task.parent_ids),
            start_timestamp=task.start_timestamp,
        )
        where = f"{self.stream}/{task.shard_id}, iteration {self.iteration}"
        began = self.clock()
        try:
            iterator = self._iterator(task, stats, where)
            self._loop(task, iterator, boundary, stats, where)
        except KiterError:
            raise
        except _Stop:
            pass
        except Exception as exc:
            if is_aws_error(exc):
                raise service_error(exc, f"reading {where}") from exc
            raise
        finally:
            stats.read_seconds = self.clock() - began
        return boundary, stats

    def _iterator(self, task: Task, stats: ShardStats, where: str) -> str:
        try:
            response = self.call(
                "GetShardIterator",
                stats,
                StreamName=self.stream,
                ShardId=task.shard_id,
                **task.iterator_args,
            )
        except Exception as exc:
            code = error_code(exc)
            by_number = "StartingSequenceNumber" in task.iterator_args
            if code == "InvalidArgumentException" and by_number:
                raise Refused(
                    f"cannot start {where} at sequence number "
                    f"{task.iterator_args['StartingSequenceNumber']}: {message(exc)}. The "
                    "records may have expired from the stream; start a new logical name",
                ) from exc
            if code == "ResourceNotFoundException" and task.exact_end is not None:
                raise Refused(
                    f"cannot rerun {where}: the shard is gone from the stream (expired); "
                    "start a new logical name"
                ) from exc
            raise
        return str(response["ShardIterator"])

    def _loop(
        self,
        task: Task,
        iterator: str,
        boundary: ShardBoundary,
        stats: ShardStats,
        where: str,
    ) -> None:
        stop = self.stop
        rerun = task.exact_end is not None
        deadline = (
            None
            if rerun or stop.iteration_timeout is None
            else self.started + stop.iteration_timeout
        )
        last_data = self.clock()
        last_call: float | None = None
        out = None
        empty_reads_closed = 0
        while True:
            if self.failed.is_set():
                raise _Stop
            now = self.clock()
            if deadline is not None and now >= deadline:
                return
            if last_call is not None:
                wait_for = last_call + self.min_call_interval - now
                if wait_for > 0:
                    self.sleep(wait_for)
            last_call = self.clock()
            try:
                response = self.call(
                    "GetRecords", stats, ShardIterator=iterator, Limit=stop.batch_size
                )
            except Exception as exc:
                if error_code(exc) == "ExpiredIteratorException":
                    raise Refused(
                        f"the shard iterator for {where} expired; the read cannot go on "
                        "without losing its place"
                    ) from exc
                raise
            stats.calls += 1
            records: list[dict[str, Any]] = response.get("Records") or []
            reached_end = capped = dropped = False
            received = len(records)
            if records and rerun:
                first_seen = records[0]["SequenceNumber"]
                if stats.kinesis_records == 0 and task.exact_first not in (None, first_seen):
                    raise Refused(
                        f"rerun of {where}: expected first record {task.exact_first} but the "
                        f"stream now starts at {records[0]['SequenceNumber']}: records have "
                        "expired; start a new logical name"
                    )
                records, reached_end = cut_at_end(records, task.exact_end)  # type: ignore[arg-type]
            elif records and (stop.max_records is not None or stop.max_bytes is not None):
                records, capped = cut_at_cap(records, stats, stop)
            dropped = len(records) < received
            if records:
                if out is None:
                    out = self.writer.shard_file(task.shard_id)
                data, users = self.writer.fmt.encode_batch(records, task.shard_id)
                out.write(data)
                stats.records += users
                self._read(users)
                self._account(records, boundary, stats)
                last_data = self.clock()
            next_iterator = response.get("NextShardIterator")
            if reached_end:
                return
            if next_iterator is None and not dropped:
                if rerun:
                    raise Refused(
                        f"rerun of {where}: the shard ended before recorded end "
                        f"{task.exact_end}; records are missing"
                    )
                boundary.finished = True
                return
            if capped or next_iterator is None:
                return
            if task.closed_at is not None and not rerun:
                if boundary.end is not None and int(boundary.end) >= int(task.closed_at):
                    boundary.finished = True
                    return
                empty_reads_closed = 0 if records else empty_reads_closed + 1
                if empty_reads_closed >= MAX_EMPTY_READS_OF_CLOSED_SHARD:
                    self.echo(
                        f"warning: closed shard {task.shard_id} did not end after "
                        f"{empty_reads_closed} empty reads; it is read on in the next iteration"
                    )
                    return
            elif not records and int(response.get("MillisBehindLatest") or 0) == 0:
                if rerun:
                    raise Refused(
                        f"rerun of {where}: caught up at {boundary.end} before the recorded end "
                        f"{task.exact_end}; records are missing"
                    )
                if stop.nodata_timeout is None or self.clock() - last_data >= stop.nodata_timeout:
                    return
            iterator = next_iterator

    @staticmethod
    def _account(records: list[dict[str, Any]], boundary: ShardBoundary, stats: ShardStats) -> None:
        if boundary.first is None:
            boundary.first = records[0]["SequenceNumber"]
        boundary.end = records[-1]["SequenceNumber"]
        stats.kinesis_records += len(records)
        stats.bytes += sum(len(r["Data"]) for r in records)
        if stats.first_arrival is None:
            stats.first_arrival = iso_utc(records[0].get("ApproximateArrivalTimestamp"))
        stats.last_arrival = iso_utc(records[-1].get("ApproximateArrivalTimestamp"))


def read_iteration(
    kinesis_client: Any,
    stream: str,
    *,
    iteration: int,
    previous: Mapping[str, ShardBoundary] | None,
    exact: Mapping[str, ShardBoundary] | None = None,
    initial: InitialPosition = TRIM_HORIZON,
    stop: StopPolicy | None = None,
    writer: PartitionWriter,
    echo: Echo,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    max_workers: int = 8,
    min_call_interval: float = 0.2,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: Progress = NO_PROGRESS,
) -> IterationRead:
    """Read one iteration of `stream` into `writer` (not committed: the caller commits).

    New iteration (`exact` None): every shard open during the window, each from where `previous`
    left it. Rerun (`exact` given): each shard of `exact` from its first to its end record.
    Raises Refused for expired data, ServiceError for AWS failures, JobFailed for bad records.
    """
    reader = _Reader(
        kinesis_client,
        stream,
        iteration,
        stop or StopPolicy(),
        writer,
        echo,
        clock,
        sleep,
        min_call_interval,
        progress,
    )
    carried: dict[str, ShardBoundary] = {}
    waiting: dict[str, Task] = {}
    if exact is not None:
        tasks = rerun_plan(exact)
    else:
        shards = list_shards(kinesis_client, stream, sleep=sleep)
        tasks, carried, waiting = new_plan(shards, previous, initial, iteration, stream, now)
    echo(
        f"iteration {iteration} of {stream}: reading {len(tasks)} shard(s)"
        + (f", {len(waiting)} waiting for parents" if waiting else "")
        + (" (rerun)" if exact is not None else "")
    )
    boundaries: dict[str, ShardBoundary] = dict(carried)
    stats: dict[str, ShardStats] = {}
    finished = {sid for sid, b in carried.items() if b.finished}
    if exact is not None:
        boundaries.update({sid: ShardBoundary.from_dict(b.to_dict()) for sid, b in exact.items()})
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="kiter-shard")
    with pool:
        running: dict[Future[tuple[ShardBoundary, ShardStats]], str] = {
            pool.submit(reader.read_shard, t): t.shard_id for t in tasks
        }
        error: BaseException | None = None
        try:
            while running:
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    shard_id = running.pop(future)
                    try:
                        boundary, shard_stats = future.result()
                    except BaseException as exc:
                        if error is None:
                            error = exc
                            reader.failed.set()
                        continue
                    stats[shard_id] = shard_stats
                    if exact is not None:
                        continue
                    boundaries[shard_id] = boundary
                    echo(_summary(shard_id, boundary, shard_stats))
                    if boundary.finished:
                        finished.add(shard_id)
                        if error is None:
                            for child in ready_children(waiting, finished):
                                running[pool.submit(reader.read_shard, child)] = child.shard_id
        except BaseException:
            # Ctrl-C (or a bug here): tell the shard threads to stop before the pool joins them.
            reader.failed.set()
            raise
        if error is not None:
            raise error
    return IterationRead(iteration, boundaries, stats, rerun=exact is not None)


def _summary(shard_id: str, boundary: ShardBoundary, stats: ShardStats) -> str:
    text = f"  {shard_id}: {stats.records} record(s), {stats.bytes} bytes"
    if boundary.finished:
        text += ", finished"
    if stats.throttles:
        text += f", {stats.throttles} throttle(s)"
    return text
