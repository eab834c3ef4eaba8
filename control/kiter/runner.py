"""One iteration end to end: claim → (stage) → render → submit → wait → record.

The runner is the only room that sequences the ledger, the stream reader, the renderer and a
target. Whatever happens after a claim, the iteration ends SUCCEEDED or FAILED in the ledger with
its lease released: a crash, a bad template, an engine error and Ctrl-C all leave a record that
the next claim retries with the same number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from kiter.adopt.owned import check_effective_settings
from kiter.aws import error_code
from kiter.echo import Echo, no_echo
from kiter.errors import (
    ConfigError,
    Interrupted,
    JobFailed,
    KiterError,
    LeaseLost,
    Refused,
    ServiceError,
)
from kiter.lease import LeaseKeeper, signals_deferred
from kiter.project import JobConfig, Project, TargetConfig
from kiter.render import Renderer
from kiter.secrets import NO_SECRETS, Redactor, cross_account_secrets
from kiter.targets.base import Abandoned, Handle, Outcome, Script, Target

if TYPE_CHECKING:
    from kiter.aws import Aws
    from kiter.metastore.ledger import Claim, Ledger
    from kiter.stream.reader import IterationRead

# Column names of the campaign snapshot staged with the customer-engagement job, in the
# attribute names the connector-mode DynamoDB storage handler maps (see hiveql/engagement.hql.j2).
CAMPAIGN_COLUMNS = ["AdId", "Category", "Campaign"]
# The shortest retention a Kinesis stream can have.
MIN_RETENTION_HOURS = 24
# States in which an earlier attempt may have left a run going on the engine.
UNFINISHED = ("CLAIMED", "RUNNING")


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
        make_target: Callable[[TargetConfig, Echo], Target],
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
        secrets = cross_account_secrets(self.env) if job.cross_account else {}
        redact = Redactor(secrets.values())
        # Built before the claim: a target that cannot be built costs no attempt.
        engine = self.make_target(target, lambda line: self.echo(redact(line)))
        started = time.monotonic()
        claim = self._claim(job, options.iteration, target.name)
        self._guard_retention(job, claim, options.force)
        seconds: dict[str, float] = {}
        with self._holding(claim, target.name, redact) as keeper:
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
            check_effective_settings(
                rendered.submit_text, job.engine, self.renderer.settings(job, claim.iteration)
            )
            script = Script(
                job=job.name,
                engine="hive" if job.engine == "hive" else "pig",
                text=rendered.submit_text,
                logical_name=job.logical_name,
                iteration=claim.iteration,
                attempt=claim.attempt,
                record_text=rendered.text if secrets else None,
            )
            t0 = time.monotonic()
            outcome = self._execute(engine, keeper, script, options.wait)
            seconds["submit"] = time.monotonic() - t0
        seconds["total"] = time.monotonic() - started
        outcome.cause = redact(outcome.cause)
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
        self._record_outcome(keeper.claim, result, target.name, rendered.sha256)
        return result

    def _claim(self, job: JobConfig, iteration: int | None, target: str) -> Claim:
        claim = self.ledger.claim(job.logical_name, iteration, target=target)
        for note in claim.notes:
            self.echo(f"warning: {note}")
        self.echo(
            f"claimed iteration {claim.iteration} of {claim.logical} (attempt {claim.attempt}"
            + (", rerun" if claim.rerun else "")
            + ")"
        )
        return claim

    @contextmanager
    def _holding(self, claim: Claim, target: str, redact: Redactor) -> Iterator[LeaseKeeper]:
        """Keep the claim's lease alive; on any failure record it FAILED (lease released).

        A lost lease records nothing: the iteration belongs to whoever took it over.
        """
        keeper = LeaseKeeper(self.ledger, claim, target, self.echo)
        keeper.start()
        try:
            yield keeper
        except LeaseLost:
            keeper.stop()
            raise
        except KeyboardInterrupt:
            keeper.stop()
            self._record_failure(keeper.claim, "interrupted")
            raise Interrupted(
                f"iteration {claim.iteration} of {claim.logical} interrupted and marked FAILED"
            ) from None
        except KiterError as exc:
            keeper.stop()
            _redact_error(exc, redact)
            interrupted = "interrupted: " if isinstance(exc, Interrupted) else ""
            self._record_failure(keeper.claim, f"{interrupted}{exc}")
            raise
        except BaseException as exc:
            keeper.stop()
            self._record_failure(keeper.claim, redact(f"kiter failed: {type(exc).__name__}: {exc}"))
            raise
        keeper.stop()

    # ---- the two-phase protocol ---------------------------------------------------------------

    def _execute(self, engine: Target, keeper: LeaseKeeper, script: Script, wait: bool) -> Outcome:
        """Follow a run an earlier attempt left going, else start one; its handle is in the ledger
        before anyone waits for it."""
        earlier = self._earlier_run(engine, keeper.claim, script)
        if earlier is not None:
            self.echo(f"following {earlier.id}, started by an earlier attempt of this iteration")
            self._record_handle(engine, keeper, earlier)
            if not wait and engine.detachable:
                return Outcome("SUBMITTED", earlier.id)
            outcome = self._follow(engine, keeper, earlier)
            if outcome.state == "SUCCEEDED":
                return outcome
            self.echo(f"{earlier.id} ended {outcome.state}: starting the iteration again")
        handle = engine.start(script)
        self._record_handle(engine, keeper, handle)
        if not wait and engine.detachable:
            return Outcome("SUBMITTED", handle.id)
        return self._follow(engine, keeper, handle)

    def _earlier_run(self, engine: Target, claim: Claim, script: Script) -> Handle | None:
        prior = claim.prior
        if prior is not None and prior.state in UNFINISHED and prior.submission_id:
            handle = engine.attach(prior.submission_id)
            if handle is not None:
                return handle
        return engine.find(script)

    def _record_handle(self, engine: Target, keeper: LeaseKeeper, handle: Handle) -> None:
        try:
            keeper.record(handle)
        except Abandoned as exc:
            self._let_go(engine, keeper.claim, exc.handle)

    def _follow(self, engine: Target, keeper: LeaseKeeper, handle: Handle) -> Outcome:
        try:
            return engine.follow(handle, keeper)
        except Abandoned as exc:
            self._let_go(engine, keeper.claim, exc.handle)

    def _let_go(self, engine: Target, claim: Claim, handle: Handle) -> NoReturn:
        """The lease is gone: cancel what we started unless the new holder follows it."""
        record = self.ledger.get(claim.logical, claim.iteration)
        followed = (
            record is not None
            and record.attempts > claim.attempt
            and record.submission_id == handle.id
        )
        if followed:
            assert record is not None
            what = f"attempt {record.attempts} follows {handle.id}: left it running"
        else:
            what = f"cancelled {handle.id} ({engine.cancel(handle)})"
        holder = self.ledger.lease(claim.logical)
        by = f" by {holder.owner.host} (pid {holder.owner.pid})" if holder else ""
        raise LeaseLost(
            f"lost the lease on iteration {claim.iteration} of {claim.logical} (taken over{by}): "
            f"{what}; nothing recorded by this run"
        )

    def _record_outcome(
        self, claim: Claim, result: IterationResult, target: str, sha256: str
    ) -> None:
        """Write the outcome, with Ctrl-C and SIGTERM held off: a success must not be lost."""
        outcome = result.outcome
        with signals_deferred():
            if outcome.state == "SUCCEEDED":
                self.ledger.succeed(claim, _stats(result, sha256))
                return
            if outcome.state == "SUBMITTED":
                self.ledger.detach(claim, outcome.submission_id)
                return
            self._record_failure(claim, outcome.cause or outcome.state)
        raise JobFailed(
            f"iteration {claim.iteration} of {claim.logical} failed on {target}"
            + (f" ({outcome.submission_id})" if outcome.submission_id else "")
            + (f":\n{outcome.cause}" if outcome.cause else "")
        )

    def _record_failure(self, claim: Claim, reason: str) -> None:
        try:
            self.ledger.fail(claim, reason[:2000])
        except KiterError as exc:
            self.echo(f"warning: could not record the failure in the ledger: {exc}")

    # ---- staged mode ----------------------------------------------------------------------------

    def stage(
        self, job: JobConfig, iteration: int | None = None, *, force: bool = False
    ) -> IterationRead:
        """`kiter stage`: claim, read and stage one iteration, record its boundaries, run nothing.

        The iteration is left FAILED with the reason "staged, not yet run": the next submit
        re-reads exactly the recorded records (a byte-identical partition) and runs the script.
        A SUCCEEDED iteration staged again stays as the ledger had it.
        """
        if job.mode != "staged":
            raise ConfigError(
                f"job {job.name} is in connector mode: the connector reads its stream"
            )
        claim = self._claim(job, iteration, "stage")
        self._guard_retention(job, claim, force)
        with self._holding(claim, "stage", NO_SECRETS) as keeper:
            read = self._stage(job, claim)
        with signals_deferred():
            if claim.prior is not None and claim.prior.state == "SUCCEEDED":
                # Staging a finished iteration again changes nothing the ledger says happened.
                self.ledger.restore(keeper.claim)
            else:
                self.ledger.fail(keeper.claim, "staged, not yet run: `kiter submit` runs it")
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
        if exact is None and claim.iteration > 0 and claim.previous is None:
            raise Refused(
                f"iteration {claim.iteration} of {claim.logical} follows iterations kiter did not "
                "run (they ran in connector mode before kiter kept the ledger): kiter cannot know "
                "where they ended. Start a new logical name for staged mode"
            )
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
                self.aws.client("kinesis", retries=False),
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
            # of this iteration reads exactly these records again (and records nothing new).
            if exact is None:
                self.ledger.record_boundaries(claim, _boundaries(read))
        if job.campaign_table:
            self._stage_campaigns(job, claim, staging)
        self.echo(
            f"staged iteration {claim.iteration} of {claim.logical}: {read.total_records} records, "
            f"{read.total_bytes} bytes from {len(read.stats)} shard(s)"
            + (f", {read.total_throttles} throttles" if read.total_throttles else "")
        )
        return read

    def _stage_campaigns(self, job: JobConfig, claim: Claim, staging: Any) -> None:
        """Snapshot the DynamoDB campaign table beside the iteration (customer engagement).

        Taken once per iteration: its reruns join the same campaigns, so a snapshot already
        staged is kept, and one that went missing is taken again only if it comes out the same.
        """
        import hashlib

        from kiter.stream.records import RecordFormat
        from kiter.stream.snapshot import snapshot_table

        assert job.campaign_table is not None
        name, iteration = f"{job.logical_name}-campaigns", claim.iteration
        recorded = claim.record.staged.get("campaigns")
        if recorded and staging.partition_exists(name, iteration):
            self.echo(f"kept the {job.campaign_table} snapshot staged with iteration {iteration}")
            return
        digest = hashlib.sha256()
        with staging.partition(name, iteration, RecordFormat()) as part:
            rows = snapshot_table(
                self.aws.client("dynamodb"),
                job.campaign_table,
                CAMPAIGN_COLUMNS,
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
            self.ledger.record_staged(
                claim, "campaigns", {"sha256": digest.hexdigest(), "rows": rows}
            )
        self.echo(f"staged {rows} rows of {job.campaign_table} with iteration {iteration}")

    # ---- guards ---------------------------------------------------------------------------------

    def _guard_retention(self, job: JobConfig, claim: Claim, force: bool) -> None:
        """Refuse an iteration whose records may have expired; a refusal spends no attempt."""
        try:
            self._retention_guard(job, claim, force)
        except Refused:
            with signals_deferred():
                self.ledger.restore(claim)
            raise

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


def _redact_error(exc: KiterError, redact: Redactor) -> None:
    """Mask known secrets in an error on its way to stderr and the ledger."""
    exc.message = redact(exc.message)
    exc.args = (exc.message, *exc.args[1:])
