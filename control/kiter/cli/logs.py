"""`kiter logs`: the run logs kept of an iteration's attempts, then, for an EMR step, EMR
Serverless job run or local Hadoop run, its logs read and explained."""

from __future__ import annotations

from pathlib import Path

import click

from kiter.cli.app import (
    App,
    note,
    out,
    pass_app,
    warn,
)
from kiter.errors import KiterError, UsageError


@click.command()
@click.argument("job")
@click.option(
    "--iteration", "-i", type=click.IntRange(min=0), required=True, help="Iteration number."
)
@click.option(
    "--attempt",
    "-a",
    type=click.IntRange(min=1),
    default=None,
    help="Only this attempt's run log (default: every attempt's kept).",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for EMR to push the step's (or job run's) logs.",
)
@pass_app
def logs(app: App, job: str, iteration: int, attempt: int | None, wait_seconds: float) -> None:
    """Show the run log kept of each attempt of an iteration of JOB (any target: kiter's lines,
    the engine's, the script's sha256, the outcome; .kiter/logs/), then, for an EMR step, EMR
    Serverless job run or local Hadoop run, read its logs and explain why it failed.

    \b
    Example:
      kiter logs top_errors --iteration 41
      kiter logs top_errors -i 41 --attempt 2
    """
    from kiter.project.targetkinds import kind_of_submission
    from kiter.runlog import KEEP_DAYS, attempt_logs, logs_root

    project = app.project
    config = project.job(job)
    kept = [
        (number, path)
        for number, path in attempt_logs(logs_root(project.root), config.logical_name, iteration)
        if attempt in (None, number)
    ]
    for _, path in kept:
        out(f"==> {path.relative_to(project.root)} <==")
        out(path.read_text(encoding="utf-8", errors="replace"), nl=False)
    try:
        record = app.ledger.get(config.logical_name, iteration)
    except KiterError as exc:
        if not kept:
            raise
        warn(f"the ledger could not be read, so no remote logs either: {exc}")
        return
    if record is None:
        if kept:
            return
        raise UsageError(
            f"the ledger has no iteration {iteration} of {config.logical_name}, and no run log "
            f"of it is kept"
        )
    step_id = record.stats.get("submission_id") or record.submission_id
    kind = kind_of_submission(str(step_id))
    if kind == "hadoop":  # a local run: its folder keeps its logs
        from kiter.targets.hadoop import SUBMISSION_PREFIX, explain_run

        out(explain_run(Path(str(step_id).removeprefix(SUBMISSION_PREFIX)), project.root))
        return
    target_config = project.targets.get(record.target) if record.target else None
    if target_config is None or kind is None or target_config.kind != kind:
        if kept:
            return  # nothing remote to fetch: the run log is all there is
        raise UsageError(
            f"iteration {iteration} of {config.logical_name} ran on {record.target or 'no target'}"
            f" ({step_id or 'no submission'}) and no run log of it is kept (.kiter/logs/, "
            f"{KEEP_DAYS} days): kiter logs explains EMR steps, EMR Serverless job runs and "
            "local Hadoop runs"
        )
    from kiter.targets.emr import EmrTarget
    from kiter.targets.emr_serverless import EmrServerlessTarget

    engine = app.target(target_config, note)
    assert isinstance(engine, EmrTarget | EmrServerlessTarget)
    if kept:
        out(f"==> {step_id} on {target_config.name} <==")
    out(engine.explain(str(step_id), wait_seconds=wait_seconds))
