"""One iteration end to end: claim → (stage) → render → submit → wait → record.

The runner is the only room that sequences the ledger, the stream reader, the renderer and a
target. Whatever happens after a claim, the iteration ends SUCCEEDED or FAILED in the ledger with
its lease released: a crash, a bad template, an engine error and Ctrl-C all leave a record that
the next claim retries with the same number.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiter.aws import error_code
from kiter.errors import (
    ConfigError,
    Interrupted,
    IterationBusy,
    JobFailed,
    KiterError,
    Refused,
    ServiceError,
)
from kiter.project import JobConfig, Project, TargetConfig
from kiter.render import Renderer, cross_account_secrets
from kiter.targets.base import Echo, Outcome, Script, Target, no_echo

if TYPE_CHECKING:
    from kiter.aws import Aws
    from kiter.metastore.ledger import Claim, Ledger
    from kiter.stream.reader import IterationRead

# Column names of the campaign snapshot staged with the customer-engagement job, in the
# attribute names the connector-mode DynamoDB storage handler maps (see hiveql/engagement.hql.j2).
CAMPAIGN_COLUMNS = ["AdId", "Category", "Campaign"]
# The shortest retention a Kinesis stream can have.
MIN_RETENTION_HOURS = 24


@dataclass(frozen=True)
class RunOptions:
    iteration: int | None = None  # None: the ledger's next
    wait: bool = True
    force: bool = False  # run even when the retention guard says records may have expired
    overrides: Mapping[str, str] = field(default_factory=dict)


@dataclass
class IterationResult:
    job: str
    logical_name: str
    iteration: int
    attempt: int
    rerun: bool
    outcome: Outcome
    read: IterationRead | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # read, submit, total

    def summary(self) -> str:
        parts = [
            f"iteration {self.iteration} of {self.logical_name}",
            f"attempt {self.attempt}",
            self.outcome.state,
        ]
        if self.read is not None:
            parts.append(f"{self.read.total_records} records staged")
        parts.append(f"{self.seconds.get('total', 0.0):.1f} s")
        return ", ".join(parts)


class Runner:
    """Runs iterations of a project's jobs. Build one per process; it is not thread-safe."""

    def __init__(
        self,
        project: Project,
        *,
        aws: Aws,
        renderer: Renderer,
        ledger: Ledger,
        make_target: Callable[[TargetConfig], Target],
        echo: Echo = no_echo,
        clock: Callable[[], float] = time.time,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.project = project
        self.aws = aws
        self.renderer = renderer
        self.ledger = ledger
        self.make_target = make_target
        self.echo = echo
        self.clock = clock
        self.env = env

    # ---- the whole iteration ------------------------------------------------------------------

    def run(
        self, job: JobConfig, target: TargetConfig, options: RunOptions | None = None
    ) -> IterationResult:
        """Run one iteration of `job` on `target`; raises JobFailed when the engine says so."""
        options = options or RunOptions()
        if job.engine == "pig" and target.kind == "hiveserver2":
            raise ConfigError(
                f"job {job.name} is a Pig job: Pig scripts run as EMR steps, not on HiveServer2; "
                f'point it at a target with kind = "emr"'
            )
        secrets = cross_account_secrets(self.env) if job.cross_account else None
        # Built before the claim: a target that cannot be built costs no attempt.
        engine = self.make_target(target)
        started = time.monotonic()
        claim = self._claim(job, options.iteration, target.name)
        seconds: dict[str, float] = {}
        with self._holding(claim) as held:
            self._retention_guard(job, claim, options.force)
            read = None
            if job.mode == "staged":
                t0 = time.monotonic()
                read = self._stage(job, claim)
                seconds["read"] = time.monotonic() - t0
            rendered = self.renderer.render(
                job,
                claim.iteration,
                overrides=options.overrides,
                rerun=claim.rerun,
                secrets=secrets,
            )
            t0 = time.monotonic()
            outcome = self._follow(engine, claim, options.wait)
            if outcome is None:
                script = Script(
                    job=job.name,
                    engine="hive" if job.engine == "hive" else "pig",
                    text=rendered.submit_text,
                    logical_name=job.logical_name,
                    iteration=claim.iteration,
                    attempt=claim.attempt,
                )
                self.ledger.running(claim, f"{target.kind}:{target.name}", target.name)
                outcome = engine.submit(script, wait=options.wait)
            seconds["submit"] = time.monotonic() - t0
        seconds["total"] = time.monotonic() - started
        result = IterationResult(
            job=job.name,
            logical_name=claim.logical,
            iteration=claim.iteration,
            attempt=claim.attempt,
            rerun=claim.rerun,
            outcome=outcome,
            read=read,
            seconds=seconds,
        )
        self._record_outcome(held.claim, result, target.name, rendered.sha256)
        return result

    def _claim(self, job: JobConfig, iteration: int | None, target: str) -> Claim:
        claim = self.ledger.claim(job.logical_name, iteration, target=target)
        self.echo(
            f"claimed iteration {claim.iteration} of {claim.logical} (attempt {claim.attempt}"
            + (", rerun" if claim.rerun else "")
            + ")"
        )
        return claim

    @contextmanager
    def _holding(self, claim: Claim) -> Iterator[_Heartbeat]:
        """Keep the claim's lease alive; on any failure record it FAILED (lease released)."""
        heartbeat = _Heartbeat(self.ledger, claim, self.echo)
        heartbeat.start()
        try:
            yield heartbeat
        except KeyboardInterrupt:
            heartbeat.stop()
            self._record_failure(heartbeat.claim, "interrupted")
            raise Interrupted(
                f"iteration {claim.iteration} of {claim.logical} interrupted and marked FAILED"
            ) from None
        except Interrupted as exc:
            heartbeat.stop()
            self._record_failure(heartbeat.claim, f"interrupted: {exc}")
            raise
        except KiterError as exc:
            heartbeat.stop()
            self._record_failure(heartbeat.claim, str(exc))
            raise
        except BaseException as exc:
            heartbeat.stop()
            self._record_failure(heartbeat.claim, f"kiter failed: {type(exc).__name__}: {exc}")
            raise
        heartbeat.stop()

    def _follow(self, engine: Target, claim: Claim, wait: bool) -> Outcome | None:
        """An earlier `--no-wait` submission of this iteration, followed to its end: its outcome
        when it succeeded (or still runs, without waiting), None when a new submission is due."""
        prior = claim.prior
        follow = getattr(engine, "wait", None)
        if prior is None or prior.state != "RUNNING" or follow is None:
            return None
        submission = prior.submission_id
        if not submission.startswith("s-"):  # only EMR steps outlive the process that ran them
            return None
        if not wait:
            self.echo(
                f"iteration {claim.iteration} was submitted as {submission}: not resubmitting"
            )
            return Outcome("SUBMITTED", submission)
        self.echo(f"following step {submission}, submitted earlier without waiting")
        self.ledger.running(claim, submission, claim.record.target)
        outcome: Outcome = follow(submission)
        if outcome.state == "SUCCEEDED":
            return outcome
        self.echo(f"step {submission} ended {outcome.state}: submitting the iteration again")
        return None

    def _record_outcome(
        self, claim: Claim, result: IterationResult, target: str, sha256: str
    ) -> None:
        """Write the outcome, with Ctrl-C and SIGTERM held off: a success must not be lost."""
        outcome = result.outcome
        with _signals_deferred():
            if outcome.state == "SUCCEEDED":
                _retry(lambda: self.ledger.succeed(claim, _stats(result, sha256)))
                return
            if outcome.state == "SUBMITTED":
                _retry(lambda: self.ledger.detach(claim, outcome.submission_id))
                return
            self._record_failure(claim, outcome.cause or outcome.state)
        raise JobFailed(
            f"iteration {claim.iteration} of {claim.logical} failed on {target}"
            + (f" ({outcome.submission_id})" if outcome.submission_id else "")
            + (f":\n{outcome.cause}" if outcome.cause else "")
        )

    def _record_failure(self, claim: Claim, reason: str) -> None:
        try:
            _retry(lambda: self.ledger.fail(claim, reason[:2000]))
        except KiterError as exc:
            self.echo(f"warning: could not record the failure in the ledger: {exc}")

    # ---- staged mode ----------------------------------------------------------------------------

    def stage(
        self, job: JobConfig, iteration: int | None = None, *, force: bool = False
    ) -> IterationRead:
        """`kiter stage`: claim, read and stage one iteration, record its boundaries, run nothing.

        The iteration is left FAILED with the reason "staged, not yet run": the next submit
        re-reads exactly the recorded records (a byte-identical partition) and runs the script.
        """
        if job.mode != "staged":
            raise ConfigError(
                f"job {job.name} is in connector mode: the connector reads its stream"
            )
        claim = self._claim(job, iteration, "stage")
        with self._holding(claim) as held:
            self._retention_guard(job, claim, force)
            read = self._stage(job, claim)
        with _signals_deferred():
            _retry(
                lambda: self.ledger.fail(held.claim, "staged, not yet run: `kiter submit` runs it")
            )
        return read

    def _stage(self, job: JobConfig, claim: Claim) -> IterationRead:
        from kiter.stream.reader import (
            LATEST,
            TRIM_HORIZON,
            ShardBoundary,
            StopPolicy,
            read_iteration,
        )
        from kiter.stream.records import RecordFormat
        from kiter.stream.staging import open_staging

        location = self.project.staging.location
        s3 = self.aws.client("s3") if location.startswith("s3://") else None
        staging = open_staging(location, s3_client=s3)
        fmt = RecordFormat(job.staging_format, escape_newlines=job.escape_newlines)  # type: ignore[arg-type]
        recorded = {
            sid: ShardBoundary.from_dict(b)
            for sid, b in claim.record.shards.items()
            if "shard_id" in b
        }
        exact = recorded or None
        previous = None
        if exact is None and claim.previous is not None and not claim.previous.shards:
            raise Refused(
                f"iteration {claim.previous.iteration} of {claim.logical} recorded no shard "
                "boundaries (it ran in connector mode): kiter cannot know where it ended. "
                "Start a new logical name for staged mode"
            )
        if exact is None and claim.previous is not None:
            previous = {
                sid: ShardBoundary.from_dict(b)
                for sid, b in claim.previous.shards.items()
                if "shard_id" in b
            }
        stop = StopPolicy(
            nodata_timeout=job.nodata_timeout * 60 if job.nodata_timeout else None,
            iteration_timeout=job.iteration_timeout * 60 if job.iteration_timeout else None,
            max_records=job.max_records,
            max_bytes=job.max_bytes,
            batch_size=job.batch_size or 10_000,
        )
        with staging.partition(job.logical_name, claim.iteration, fmt) as writer:
            read = read_iteration(
                self.aws.client("kinesis"),
                job.stream,
                iteration=claim.iteration,
                previous=previous,
                exact=exact,
                initial=LATEST if job.initial_position == "LATEST" else TRIM_HORIZON,
                stop=stop,
                writer=writer,
                echo=self.echo,
            )
            # Recorded before the partition becomes visible and before any script runs: a rerun
            # of this iteration reads exactly these records again.
            self.ledger.record_boundaries(claim, _boundaries(read))
        if job.campaign_table:
            self._stage_campaigns(job, claim.iteration, staging)
        self.echo(
            f"staged iteration {claim.iteration} of {claim.logical}: {read.total_records} records, "
            f"{read.total_bytes} bytes from {len(read.stats)} shard(s)"
            + (f", {read.total_throttles} throttles" if read.total_throttles else "")
        )
        return read

    def _stage_campaigns(self, job: JobConfig, iteration: int, staging: Any) -> None:
        """Snapshot the DynamoDB campaign table beside the iteration (customer engagement)."""
        from kiter.stream.records import RecordFormat
        from kiter.stream.snapshot import snapshot_table

        assert job.campaign_table is not None
        with staging.partition(f"{job.logical_name}-campaigns", iteration, RecordFormat()) as part:
            rows = snapshot_table(
                self.aws.client("dynamodb"),
                job.campaign_table,
                CAMPAIGN_COLUMNS,
                part.shard_file("campaigns"),
            )
        self.echo(f"staged {rows} rows of {job.campaign_table} with iteration {iteration}")

    # ---- guards ---------------------------------------------------------------------------------

    def _retention_guard(self, job: JobConfig, claim: Claim, force: bool) -> None:
        from kiter.metastore.records import retention_check

        region = self.project.aws.region
        if job.cross_account or (job.endpoint_region and job.endpoint_region != region):
            # The stream is out of this account's or region's sight: no retention to read.
            return
        if retention_check(claim, MIN_RETENTION_HOURS, self.clock()) is None:
            # Kinesis keeps every record at least 24 hours: nothing younger can have expired,
            # so the stream need not be asked (one client and one call fewer per iteration).
            return
        hours = self._retention_hours(job)
        if hours is None:
            return
        refusal = retention_check(claim, hours, self.clock())
        if refusal is None:
            return
        if force:
            self.echo(f"warning: {refusal} (--force: trying anyway)")
            return
        raise Refused(refusal)

    def _retention_hours(self, job: JobConfig) -> int | None:
        try:
            summary = self.aws.client("kinesis").describe_stream_summary(StreamName=job.stream)
        except Exception as exc:  # no permission to describe it, say: no guard
            code = error_code(exc) or type(exc).__name__
            if code == "ResourceNotFoundException":
                raise ServiceError(
                    f"stream {job.stream!r} of job {job.name} does not exist"
                ) from None
            self.echo(f"warning: cannot read the retention of stream {job.stream}: {code}")
            return None
        return int(summary["StreamDescriptionSummary"]["RetentionPeriodHours"])


def _boundaries(read: IterationRead) -> dict[str, dict[str, Any]]:
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


def _stats(result: IterationResult, sha256: str) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "submission_id": result.outcome.submission_id,
        "script_sha256": sha256,
        "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
        "rows": len(result.outcome.rows),
    }
    if result.read is not None:
        stats |= {
            "records": result.read.total_records,
            "bytes": result.read.total_bytes,
            "throttles": result.read.total_throttles,
        }
    return stats


class _Heartbeat:
    """Keeps a claim's lease alive from a daemon thread while the iteration runs.

    A failed renewal (a network blip, a write conflict) is tried again until the lease would
    run out; only a lease taken over by another claim ends the heartbeat for good.
    """

    def __init__(self, ledger: Ledger, claim: Claim, echo: Echo) -> None:
        self.ledger = ledger
        self.claim = claim
        self.echo = echo
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kiter-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        interval = max(1.0, self.ledger.lease_seconds / 3)
        wait = interval
        while not self._stop.wait(wait):
            try:
                self.claim = self.ledger.heartbeat(self.claim)
                wait = interval
            except IterationBusy as exc:
                self.echo(f"warning: lost the lease: {exc}")
                return
            except KiterError as exc:
                left = self.claim.lease_expires - self.ledger.clock()
                wait = max(0.5, min(interval, left / 3))
                self.echo(f"warning: heartbeat failed ({exc}); trying again in {wait:.0f} s")


def _retry(write: Callable[[], None], attempts: int = 3, delay: float = 1.0) -> None:
    """A ledger write that must land: retried on service errors, with a short backoff."""
    for attempt in range(1, attempts + 1):
        try:
            write()
            return
        except ServiceError:
            if attempt == attempts:
                raise
            time.sleep(delay * attempt)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
