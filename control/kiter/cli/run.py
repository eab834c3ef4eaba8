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
@click.option("--every", default=None, metavar="DURATION", help="Cadence: 30s, 1m, 5m, 1h ...")
@click.option(
    "--cron", default=None, metavar="EXPR", help="Cadence as a 5-field cron expression (UTC)."
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
@click.option("--backoff", default="10s", show_default=True, help="First retry delay; doubles.")
@target_option
@quiet_option
@pass_app
def run(
    app: App,
    job_names: tuple[str, ...],
    all_jobs: bool,
    every: str | None,
    cron: str | None,
    iterations: int | None,
    max_retries: int,
    backoff: str,
    target: str | None,
    quiet: bool,
) -> None:
    """Run iterations of JOB (or --all) on a cadence, retrying failures with the same number.

    A failed iteration is retried with the same iteration number (and
    kinesis.rerun.iteration.without.wait=true) after a doubling backoff; after --max-retries the
    loop stops with exit 1. Iteration N+1 never starts before N succeeded. SIGTERM or Ctrl-C
    cancels the running iteration, records it FAILED, releases its lease and exits 130.
    Without --every or --cron, iterations run back to back.

    \b
    Example:
      kiter run top_errors --every 1m
      kiter run --all --cron "*/5 * * * *"
      kiter --profile local run top_errors --iterations 3
    """
    import time

    from kiter.scheduler import (
        BackToBack,
        Cadence,
        Cron,
        Every,
        RetryPolicy,
        Scheduler,
        parse_duration,
        shared_streams,
    )

    if every and cron:
        raise UsageError("choose --every or --cron, not both")
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
    cadence: Cadence = BackToBack()
    if every:
        cadence = Every(parse_duration(every), time.time())
    elif cron:
        cadence = Cron(cron)
    echo = app.progress(quiet)
    runner = app.runner(echo)
    for job in jobs:  # every job's refusals before any job runs
        runner.preflight(job, targets[job.name])

    def run_one(name: str) -> None:
        result = runner.run(project.job(name), targets[name])
        note(f"{name}: {result.summary()}")

    sigterm_as_interrupt()
    scheduler = Scheduler(
        jobs=names,
        run_one=run_one,
        cadence=cadence,
        iterations=iterations,
        retry=RetryPolicy(max_retries=max_retries, first_backoff=parse_duration(backoff)),
        echo=note,
    )
    raise SystemExit(scheduler.loop())
