"""`kiter run`: iterations on a cadence."""

from __future__ import annotations

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
from kiter.errors import UsageError


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
@target_option
@quiet_option
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
    target: str | None,
    quiet: bool,
) -> None:
    """Run iterations of JOB (or --all) on a cadence, retrying failures with the same number.

    A failed iteration is retried with the same iteration number (and
    kinesis.rerun.iteration.without.wait=true) after a doubling backoff; after --max-retries the
    loop stops with exit 1. Iteration N+1 never starts before N succeeded. Ctrl-C or SIGTERM
    cancels the running iteration, records it FAILED, releases its lease and exits 130 (Ctrl-C)
    or 143 (SIGTERM); an iteration that had just finished keeps its recorded outcome.
    Without --every or --cron, iterations run back to back. --every starts at once; --cron
    waits for its first tick (--now: one round at once first). A cron expression that never
    fires, or a bad one, is refused (exit 2) before anything runs.

    \b
    Example:
      kiter run top_errors --every 1m
      kiter run --all --cron "*/5 * * * *"
      kiter run top_errors --cron "0 9 * * MON-FRI" --tz Europe/Paris --now
      kiter --profile local run top_errors --iterations 3
    """
    import time

    from kiter.durations import parse_duration
    from kiter.runner import InterruptedAfterRecording
    from kiter.scheduler import RetryPolicy, Scheduler, make_cadence, shared_streams

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
    runner = app.runner(echo)

    def run_one(name: str) -> None:
        try:
            result = runner.run(project.job(name), targets[name])
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
    )
    raise SystemExit(scheduler.loop())
