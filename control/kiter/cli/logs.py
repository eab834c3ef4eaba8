"""`kiter logs`: explain a failed EMR step, EMR Serverless job run or local Hadoop run of an
iteration from its logs."""

from __future__ import annotations

from pathlib import Path

import click

from kiter.cli.app import (
    App,
    note,
    out,
    pass_app,
)
from kiter.errors import UsageError


@click.command()
@click.argument("job")
@click.option(
    "--iteration", "-i", type=click.IntRange(min=0), required=True, help="Iteration number."
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
def logs(app: App, job: str, iteration: int, wait_seconds: float) -> None:
    """Fetch the logs of an iteration of JOB (EMR step, EMR Serverless job run or local Hadoop
    run), explain why it failed.

    \b
    Example:
      kiter logs top_errors --iteration 41
    """
    project = app.project
    config = project.job(job)
    record = app.ledger.get(config.logical_name, iteration)
    if record is None:
        raise UsageError(f"the ledger has no iteration {iteration} of {config.logical_name}")
    step_id = record.stats.get("submission_id") or record.submission_id
    from kiter.targets.hadoop import SUBMISSION_PREFIX, explain_run

    if str(step_id).startswith(SUBMISSION_PREFIX):  # a local run: its folder keeps its logs
        out(explain_run(Path(str(step_id).removeprefix(SUBMISSION_PREFIX)), project.root))
        return
    target_config = project.targets.get(record.target) if record.target else None
    kind = _kind_of(str(step_id))
    if target_config is None or kind is None or target_config.kind != kind:
        raise UsageError(
            f"iteration {iteration} of {config.logical_name} ran on {record.target or 'no target'}"
            f" ({step_id or 'no submission'}): kiter logs explains EMR steps, EMR Serverless "
            "job runs and local Hadoop runs"
        )
    from kiter.targets.emr import EmrTarget
    from kiter.targets.emr_serverless import EmrServerlessTarget

    engine = app.target(target_config, note)
    assert isinstance(engine, EmrTarget | EmrServerlessTarget)
    out(engine.explain(str(step_id), wait_seconds=wait_seconds))


def _kind_of(submission_id: str) -> str | None:
    """The target kind whose runs are recorded under ids like this one."""
    from kiter.targets.emr_serverless import SUBMISSION_PREFIX

    if submission_id.startswith("s-"):
        return "emr"
    if submission_id.startswith(SUBMISSION_PREFIX):
        return "emr-serverless"
    return None
