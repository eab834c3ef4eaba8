"""`kiter run`: iterations on a cadence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kiter.cli.app import (
    App,
    note,
    pass_app,
    quiet_option,
    sigterm_as_interrupt,
    target_option,
    warn,
)
from kiter.cli.watching import WatchOptions, start_watching, watch_options
from kiter.errors import KiterError, UsageError

if TYPE_CHECKING:
    from kiter.echo import Echo
    from kiter.project import JobConfig


@click.command()
@click.argument("job_names", metavar="[JOB]...", nargs=-1)
@click.option("--all", "all_jobs", is_flag=True, help="Run every job of the project.")
@click.option(
    "--every",
    default=None,
    metavar="DURATION",
    help="Cadence: 30s, 5m, 1h30m, 2d ...; the first round starts at once.",
)
@click.option(
    "--cron",
    default=None,
    metavar="EXPR",
    help='Cadence as cron: 5 fields ("0 9 * * MON-FRI") or a macro (@hourly); waits for its '
    "first tick.",
)
@click.option(
    "--tz",
    "zone",
    default=None,
    metavar="ZONE",
    help="The IANA time zone --cron is read in (default UTC), e.g. Europe/Paris.",
)
@click.option(
    "--now",
    "start_now",
    is_flag=True,
    help="Run the first round at once, then follow the cadence (for --cron).",
)
@click.option(
    "--iterations",
    "-n",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after N ticks (default: run until stopped).",
)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Retries of a failed iteration (same number) before stopping with exit 1.",
)
@click.option(
    "--backoff",
    default="10s",
    show_default=True,
    metavar="DURATION",
    help="First retry delay (0s: at once); doubles.",
)
@click.option(
    "--max-parallel",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Jobs run at once (default: all of them, within what the checkpoint table's capacity "
    "was sized for).",
)
@target_option
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print each job's next submit (as `kiter submit --dry-run`) and do nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print the plans as JSON.")
@quiet_option
@watch_options(stamped=True)
@pass_app
def run(
    app: App,
    job_names: tuple[str, ...],
    all_jobs: bool,
    every: str | None,
    cron: str | None,
    zone: str | None,
    start_now: bool,
    iterations: int | None,
    max_retries: int,
    backoff: str,
    max_parallel: int | None,
    target: str | None,
    dry_run: bool,
    as_json: bool,
    quiet: bool,
    watch: WatchOptions,
) -> None:
    """Run iterations of JOB (or --all) on a cadence, retrying failures with the same number.

    Jobs run side by side, each on its own cadence with its own retries (--max-parallel at
    once); a line of output names its job. A failed iteration is retried with the same iteration
    number (and kinesis.rerun.iteration.without.wait=true) after a doubling backoff; after
    --max-retries that job gives up, the others go on, and kiter exits 1 when they are done. An
    iteration another process runs (another kiter run, on any host) is skipped for that tick.
    Iteration N+1 never starts before N succeeded. Ctrl-C or SIGTERM cancels every running
    iteration, records it FAILED, releases its lease and exits 130 (Ctrl-C) or 143 (SIGTERM); an
    iteration that had just finished keeps its recorded outcome. Lines carry their UTC time; each
    attempt keeps its log in .kiter/logs/ (kiter logs shows it); --metrics-file and --metrics
    write metrics after every attempt; --on-success, --on-failure and --notify fire once per
    final outcome, never per retry.
    Without --every or --cron, iterations run back to back. --every starts at once; --cron
    waits for its first tick (--now: one round at once first). A cron expression that never
    fires, or a bad one, is refused (exit 2) before anything runs.

    \b
    Example:
      kiter run top_errors --every 1m
      kiter run --all --cron "*/5 * * * *"
      kiter run top_errors --cron "0 9 * * MON-FRI" --tz Europe/Paris --now
      kiter --profile local run top_errors --iterations 3
      kiter run --all --dry-run --json
      kiter run --all --every 5m --metrics-file /var/lib/node_exporter/kiter.prom \\
        --on-failure 'notify-send "kiter: $KITER_JOB failed"'
    """
    import time

    from kiter.cadence import make_cadence
    from kiter.durations import parse_duration
    from kiter.iterationresult import InterruptedAfterRecording
    from kiter.metastore.sizing import parallelism
    from kiter.scheduler import RetryPolicy, Scheduler, shared_streams
    from kiter.stopping import Stop

    cadence, tz = make_cadence(every=every, cron=cron, zone=zone, now=time.time())
    retry = RetryPolicy(
        max_retries=max_retries,
        first_backoff=parse_duration(backoff, option="--backoff", allow_zero=True),
    )
    project = app.project
    if all_jobs and job_names:
        raise UsageError("give job names or --all, not both")
    names = list(project.jobs) if all_jobs else list(job_names)
    if not names:
        raise UsageError("name a job to run (or --all)")
    jobs = [project.job(name) for name in names]
    targets = {job.name: project.target_for(job, target) for job in jobs}
    # Only where it matters: logical names run together that share a stream's read limit.
    for warning in shared_streams([(j.name, j.stream, j.logical_name) for j in jobs]):
        warn(warning)
    echo = app.progress(quiet)
    if as_json and not dry_run:
        raise UsageError("--json goes with --dry-run (a run's lines: --log-format json)")
    if dry_run:
        from kiter.cli.app import print_plans
        from kiter.dryrun import plan_submit

        planner = app.runner(echo)
        plans = [plan_submit(planner, job, targets[job.name]) for job in jobs]
        print_plans(plans, as_json)
        return
    stop = Stop()
    workers, too_many = parallelism(max_parallel, len(jobs), _sized_for(app, jobs))
    if too_many:
        warn(too_many)
    watching = start_watching(app, jobs, watch, quiet=quiet)
    with app.board(quiet) as board:
        runners = {
            name: watching.runner(
                app,
                name,
                echo if len(names) == 1 else _labelled(echo, name),
                stop,
                # One status line per job, named when there are several.
                progress=board.line("" if len(names) == 1 else name),
            )
            for name in names
        }
        for job in jobs:  # every job's refusals before any job runs
            runners[job.name].preflight(job, targets[job.name])

        def run_one(name: str) -> None:
            try:
                result = runners[name].run(project.job(name), targets[name])
            except InterruptedAfterRecording as exc:
                note(f"{name}: {exc.result.summary()}")  # finished and recorded before the stop
                raise
            note(f"{name}: {result.summary()}")

        sigterm_as_interrupt()
        scheduler = Scheduler(
            jobs=names,
            run_one=run_one,
            cadence=cadence,
            iterations=iterations,
            retry=retry,
            echo=note,
            start_now=start_now,
            zone=tz,
            max_parallel=workers,
            stop=stop,
            on_final=watching.final,
        )
        code = scheduler.loop()
    raise SystemExit(code)


def _labelled(echo: Echo, job: str) -> Echo:
    return lambda line: echo(f"{job}: {line}")


def _sized_for(app: App, jobs: list[JobConfig]) -> int | None:
    """How many of these jobs the checkpoint table's capacity holds at once (None: no bound, or
    nothing to size by: a single job, an on-demand table, streams out of sight)."""
    from kiter.metastore.sizing import jobs_sized_for, open_shards
    from kiter.metastore.table import CheckpointTable

    if len(jobs) < 2:
        return None
    meta = app.project.metastore
    try:
        info = CheckpointTable(
            app.aws.client("dynamodb"), meta.table, meta.hash_key, meta.range_key
        ).describe()
        if info is None or info.on_demand:
            return None
        kinesis = app.aws.client("kinesis")
        streams = {job.stream for job in jobs if not job.cross_account}
        shards = max((open_shards(kinesis, stream) for stream in streams), default=1)
    except KiterError:
        return None  # the run itself says what is wrong, job by job
    return jobs_sized_for(info, shards)
