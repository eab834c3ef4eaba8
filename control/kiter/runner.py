"""One iteration end to end: claim → (stage) → render → check → start → follow → record.

The runner is the only room that sequences the ledger, the stream room, the renderer and a
target. Whatever happens after a claim, the iteration ends SUCCEEDED or FAILED in the ledger with
its lease released (a crash, a bad template, an engine error and Ctrl-C all leave a record that
the next claim retries with the same number), except when the lease was lost: then the iteration
belongs to whoever took it over, and this run records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiter import pausepoints
from kiter.adopt.owned import check_effective_settings
from kiter.attemptscript import script_for
from kiter.echo import NO_PROGRESS, Echo, Progress, no_echo
from kiter.engineruns import EngineRuns
from kiter.errors import (
    ConfigError,
    Interrupted,
    JobFailed,
    KiterError,
    LeaseLost,
    Refused,
    UsageError,
)
from kiter.iterationresult import (
    InterruptedAfterRecording,
    IterationResult,
    StepTimer,
    success_stats,
)
from kiter.lease import LeaseKeeper, signals_deferred
from kiter.metastore.records import STAGED_NOT_RUN
from kiter.project.model import JobConfig, Project, refusal
from kiter.project.placeholders import job_placeholders, refuse_placeholders
from kiter.project.targetkinds import TargetConfig
from kiter.render import Renderer
from kiter.secrets import NO_SECRETS, Redactor, cross_account_secrets
from kiter.stopping import NEVER, Stop
from kiter.tablehistory import refuse_table_move
from kiter.targets.base import Target
from kiter.watch import NOBODY, AttemptStarted, Seen, Watcher

if TYPE_CHECKING:
    from kiter.aws import Aws
    from kiter.metastore.ledger import Claim, Ledger
    from kiter.render import Rendered
    from kiter.stream.plan import IterationRead


@dataclass(frozen=True)
class RunOptions:
    iteration: int | None = None  # None: the ledger's next
    wait: bool = True
    force: bool = False  # run even when the retention guard says records may have expired
    overrides: Mapping[str, str] = field(default_factory=dict)


class Runner:
    """Runs iterations of a project's jobs, one at a time or several from worker threads (each
    iteration's state lives in its own call; a `Stop` reaches the threads that signals do not)."""

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
        stop: Stop = NEVER,
        watcher: Watcher = NOBODY,
        progress: Progress = NO_PROGRESS,
    ) -> None:
        self.project = project
        self.progress = progress  # the status line of the reads it stages
        self.watcher = watcher  # told of every attempt's start and end (run log, metrics)
        self.stop = stop
        self.aws = aws
        self.renderer = renderer
        self.ledger = ledger
        self.make_target = make_target
        self.echo = echo
        self.clock = clock
        self.env = env

    def run(
        self, job: JobConfig, target: TargetConfig, options: RunOptions | None = None
    ) -> IterationResult:
        """Run one iteration of `job` on `target`; raises JobFailed when the engine says so."""
        options = options or RunOptions()
        self.preflight(job, target, options.overrides, history=False)
        secrets = cross_account_secrets(self.env) if job.cross_account else {}
        redact = Redactor(secrets.values())
        # Built before the claim: a target that cannot be built costs no attempt.
        engine = self.make_target(target, lambda line: self.echo(redact(line)))
        timer = StepTimer()
        claim = self._claim(job, options.iteration, target.name)
        with self._watched(job, claim, target.name, redact, timer) as seen:
            return self._attempt(job, target, options, claim, engine, secrets, timer, seen)

    def _attempt(
        self,
        job: JobConfig,
        target: TargetConfig,
        options: RunOptions,
        claim: Claim,
        engine: Target,
        secrets: Mapping[str, str],
        timer: StepTimer,
        seen: Seen,
    ) -> IterationResult:
        """The attempt after its claim: guard, (stage,) render, check, start, follow, record."""
        redact = seen.redact
        self._refuse_after_claim(job, claim, options.overrides)
        self._guard_retention(job, claim, options.force)
        with self._holding(claim, target.name, redact) as keeper:
            pausepoints.reach("after-claim")
            read = None
            if job.mode == "staged":
                read = seen.read = timer.time("read", self._stage, job, claim, keeper)
                keeper.check("staging")
            rendered = self._render(job, claim, options, secrets)
            pausepoints.reach("after-render")
            keeper.check("rendering")
            keeper.script_sha256 = seen.sha256 = rendered.sha256
            script = script_for(
                job,
                rendered,
                iteration=claim.iteration,
                attempt=claim.attempt,
                overrides=options.overrides,
                has_secrets=bool(secrets),
            )
            runs = EngineRuns(self.ledger, self.echo)
            outcome = timer.time("submit", runs.execute, engine, keeper, script, options.wait)
        outcome.cause = redact(outcome.cause)
        seen.outcome = outcome
        result = IterationResult(
            job=job.name,
            logical_name=claim.logical,
            iteration=claim.iteration,
            attempt=claim.attempt,
            rerun=claim.rerun,
            outcome=outcome,
            read=read,
            seconds=timer.totals(),
            checkpoint_table=rendered.settings["kinesis.checkpoint.metastore.table.name"],
        )
        try:
            self._record_outcome(keeper.held_claim, result, target.name, rendered.sha256)
        except KeyboardInterrupt as exc:
            if exc.__context__ is not None:
                raise  # the write itself failed: nothing was recorded
            raise InterruptedAfterRecording(result) from None
        return result

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
        refuse_placeholders(job_placeholders(self.project, job))
        claim = self._claim(job, iteration, "stage")
        self._guard_retention(job, claim, force)
        with self._holding(claim, "stage", NO_SECRETS) as keeper:
            read = self._stage(job, claim, keeper)
        with signals_deferred():
            if claim.prior is not None and claim.prior.state == "SUCCEEDED":
                # Staging a finished iteration again changes nothing the ledger says happened.
                self.ledger.restore(keeper.held_claim)
            else:
                self.ledger.fail(keeper.held_claim, f"{STAGED_NOT_RUN}: `kiter submit` runs it")
        return read

    def preflight(
        self,
        job: JobConfig,
        target: TargetConfig,
        overrides: Mapping[str, str] | None = None,
        *,
        history: bool = True,
    ) -> None:
        """What refuses a run before anything is claimed or started (exit 2): a target that
        cannot run the job, a `--var` no template reads, a scaffold placeholder where the job
        writes; and (exit 4) a connector job's table moved under its logical name, unless
        `history` is False (the caller checks it after its claim, `_refuse_after_claim`).
        `kiter run` asks it of every job before its first tick."""
        refused = refusal(job, target, self.project.staging)
        if refused:
            raise ConfigError(refused)
        self.renderer.check_overrides(job, overrides or {})
        if history:
            refuse_table_move(self.ledger, job, self.project.metastore.table)
        refuse_placeholders(job_placeholders(self.project, job, target, overrides))

    # ---- the steps --------------------------------------------------------------------------

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

    def _refuse_after_claim(
        self, job: JobConfig, claim: Claim, overrides: Mapping[str, str] | None
    ) -> None:
        """What the claim's iteration can refuse before anything is read or started; a refusal
        spends no attempt: `preflight`'s table check, from what the claim read, and a streaming
        or jar job's output that another such job writes too."""
        from kiter.render.commands import refuse_shared_output

        try:
            refuse_table_move(self.ledger, job, self.project.metastore.table, claim)
            refuse_shared_output(self.renderer, job, claim.iteration, overrides or {})
        except (Refused, UsageError):
            with signals_deferred():
                self.ledger.restore(claim)
            raise

    def _guard_retention(self, job: JobConfig, claim: Claim, force: bool) -> None:
        """Refuse an iteration whose records may have expired; a refusal spends no attempt."""
        from kiter.metastore.retention import guard_retention, stream_retention_hours

        region = self.aws.settings.region
        if job.cross_account or (job.endpoint_region and job.endpoint_region != region):
            return  # the stream is out of this account's or region's sight: nothing to ask
        try:
            guard_retention(
                claim,
                stream_hours=lambda: stream_retention_hours(
                    self.aws.client("kinesis"), job.stream, job.name, self.echo
                ),
                now=self.clock(),
                force=force,
                echo=self.echo,
            )
        except Refused:
            with signals_deferred():
                self.ledger.restore(claim)
            raise

    def _stage(self, job: JobConfig, claim: Claim, keeper: LeaseKeeper) -> IterationRead:
        from kiter.library import CAMPAIGN_COLUMNS
        from kiter.stream.iteration import stage_claimed_iteration

        read = stage_claimed_iteration(
            job,
            claim,
            location=self.project.staging.location,
            clients=self.aws.client,
            record_boundaries=lambda shards: self.ledger.record_boundaries(claim, shards),
            record_staged=lambda name, facts: self.ledger.record_staged(claim, name, facts),
            snapshot_columns=CAMPAIGN_COLUMNS,
            echo=self.echo,
            still_held=keeper.check,
            progress=self.progress,
        )
        if read.total_records == 0 and not read.rerun:
            feed = "; `kiter local traffic` or `kiter local put` feed the local stack"
            self.echo(
                f"warning: iteration {claim.iteration} of {claim.logical} read no records: "
                f"stream {job.stream} had nothing new (recorded all the same, as the connector "
                f"does{feed if self.project.on_local_stack else ''})"
            )
        return read

    def _render(
        self, job: JobConfig, claim: Claim, options: RunOptions, secrets: Mapping[str, str]
    ) -> Rendered:
        """The script for the claim, checked: it may carry no other iteration than the claim's."""
        rendered = self.renderer.render(
            job, claim.iteration, overrides=options.overrides, rerun=claim.rerun, secrets=secrets
        )
        for note in rendered.notes:
            self.echo(f"warning: {note}")
        settings = self.renderer.settings(job, claim.iteration)
        if rendered.command is not None:
            from kiter.render.commands import check_command_settings

            check_command_settings(rendered.command, settings)
        else:
            check_effective_settings(rendered.submit_text, job.engine, settings)
        return rendered

    @contextmanager
    def _watched(
        self, job: JobConfig, claim: Claim, target: str, redact: Redactor, timer: StepTimer
    ) -> Iterator[Seen]:
        """Tell the watcher of the attempt's start, and of its end however it ends."""
        started = AttemptStarted(
            job.name, claim.logical, claim.iteration, claim.attempt, target, self.clock()
        )
        self.watcher.attempt_started(started, redact)
        seen = Seen(started, redact)
        try:
            yield seen
        except BaseException as exc:
            self.watcher.attempt_ended(seen.ended(self.clock(), timer.totals(), exc))
            raise
        self.watcher.attempt_ended(seen.ended(self.clock(), timer.totals()))

    @contextmanager
    def _holding(self, claim: Claim, target: str, redact: Redactor) -> Iterator[LeaseKeeper]:
        """Keep the claim's lease alive; on any failure record it FAILED (lease released).

        A lost lease records nothing: the iteration belongs to whoever took it over.
        """
        keeper = LeaseKeeper(self.ledger, claim, target, self.echo, self.stop)
        keeper.start()
        try:
            yield keeper
        except LeaseLost:
            keeper.stop()
            raise
        except KeyboardInterrupt:
            keeper.stop()
            self._record_failure(keeper.held_claim, "interrupted")
            raise Interrupted(
                f"iteration {claim.iteration} of {claim.logical} interrupted and marked FAILED"
            ) from None
        except KiterError as exc:
            keeper.stop()
            _redact_error(exc, redact)
            interrupted = "interrupted: " if isinstance(exc, Interrupted) else ""
            self._record_failure(keeper.held_claim, f"{interrupted}{exc}")
            raise
        except BaseException as exc:
            keeper.stop()
            self._record_failure(
                keeper.held_claim, redact(f"kiter failed: {type(exc).__name__}: {exc}")
            )
            raise
        keeper.stop()

    # ---- the outcome --------------------------------------------------------------------------

    def _record_outcome(
        self, claim: Claim, result: IterationResult, target: str, sha256: str
    ) -> None:
        """Write the outcome, with Ctrl-C and SIGTERM held off: a success must not be lost."""
        outcome = result.outcome
        with signals_deferred():
            pausepoints.reach("before-record")
            if outcome.state == "SUCCEEDED":
                self.ledger.succeed(claim, success_stats(result, sha256))
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


def _redact_error(exc: KiterError, redact: Redactor) -> None:
    """Mask known secrets in an error on its way to stderr and the ledger."""
    exc.message = redact(exc.message)
    exc.args = (exc.message, *exc.args[1:])
