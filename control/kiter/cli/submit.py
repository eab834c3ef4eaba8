"""`kiter submit`: run one iteration of a job and record it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kiter.cli.app import (
    App,
    format_option,
    iteration_option,
    note,
    out,
    pass_app,
    print_plans,
    print_rows,
    quiet_option,
    sigterm_as_interrupt,
    target_option,
    var_option,
)
from kiter.cli.watching import WatchOptions, start_watching, watch_options
from kiter.project import parse_var_overrides

if TYPE_CHECKING:
    from kiter.iterationresult import IterationResult


@click.command()
@click.argument("job")
@target_option
@iteration_option
@var_option
@click.option("--no-wait", is_flag=True, help="Return once the engine accepted the script.")
@click.option("--force", is_flag=True, help="Run even if the retention guard refuses.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would run (iteration, attempt, shard starts, script sha256, where it goes) "
    "and do nothing: no ledger write, no upload, no staging, no engine call.",
)
@quiet_option
@format_option
@watch_options(stamped=False)
@pass_app
def submit(
    app: App,
    job: str,
    target: str | None,
    iteration: int | None,
    variables: tuple[str, ...],
    no_wait: bool,
    force: bool,
    dry_run: bool,
    quiet: bool,
    fmt: str,
    watch: WatchOptions,
) -> None:
    """Run one iteration of JOB: claim it, (stage it), render, submit, wait, record.

    Without --iteration it runs the ledger's next iteration: the FAILED one if any (same number,
    same records), else the last SUCCEEDED + 1. Exit 0 only when the engine reports success;
    3 when another run holds the logical name; 130 after Ctrl-C, 143 after SIGTERM: a running
    iteration is cancelled and recorded FAILED, one already finished keeps what was recorded
    (its summary is printed first). --format json prints the outcome whatever the target
    (schema kiter.submit/1, its rows in "rows"). Each attempt keeps its log in .kiter/logs/
    (kiter logs shows it); --metrics-file, --metrics, --on-success, --on-failure and --notify
    report the outcome (see README, "Watching runs").

    \b
    Example:
      kiter submit top_errors
      kiter --profile local submit top_errors --format csv
      kiter submit top_errors_pig --target emr --no-wait
      kiter submit top_errors --metrics-file /var/lib/node_exporter/kiter.prom
      kiter submit top_errors --dry-run --format json
    """
    from kiter.iterationresult import InterruptedAfterRecording
    from kiter.runner import RunOptions

    sigterm_as_interrupt()
    project = app.project
    config = project.job(job)
    target_config = project.target_for(config, target)
    if dry_run:
        from kiter.dryrun import plan_submit

        runner = app.runner(app.progress(quiet))
        plan = plan_submit(runner, config, target_config, iteration, parse_var_overrides(variables))
        print_plans([plan], fmt == "json", single=True)
        return
    options = RunOptions(
        iteration=iteration,
        wait=not no_wait,
        force=force,
        overrides=parse_var_overrides(variables),
    )
    watching = start_watching(app, [config], watch, quiet=quiet)
    try:
        with watching.outcome(config.name), app.board(quiet) as board:
            runner = watching.runner(app, config.name, app.progress(quiet), progress=board.line())
            result = runner.run(config, target_config, options)
    except InterruptedAfterRecording as exc:
        # The iteration finished and is recorded: it is shown as any finished one, then the stop.
        _show(exc.result, fmt)
        raise
    _show(result, fmt)


def _show(result: IterationResult, fmt: str) -> None:
    if fmt == "json":
        out(submit_document(result))
    else:
        print_rows(result.outcome.columns, result.outcome.rows, fmt)
    note(result.summary())


def submit_document(result: IterationResult) -> str:
    """`submit --format json`: the outcome whatever the target (EMR Serverless, or a script whose
    last statement returns no rows, prints it too), its rows as the query gave them."""
    from kiter.jsondoc import document

    outcome = result.outcome
    read = result.read
    body = {
        "job": result.job,
        "logical_name": result.logical_name,
        "iteration": result.iteration,
        "attempt": result.attempt,
        "rerun": result.rerun,
        "state": outcome.state,
        "submission_id": outcome.submission_id,
        "cause": outcome.cause,
        "records": read.total_records if read is not None else None,
        "bytes": read.total_bytes if read is not None else None,
        "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
    }
    rows = [dict(zip(outcome.columns, row, strict=False)) for row in outcome.rows]
    return document("submit", body, verbatim={"columns": list(outcome.columns), "rows": rows})
