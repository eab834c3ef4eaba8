"""`kiter submit`: run one iteration of a job and record it."""

from __future__ import annotations

import click

from kiter.cli.app import (
    App,
    format_option,
    iteration_option,
    note,
    pass_app,
    print_rows,
    quiet_option,
    sigterm_as_interrupt,
    target_option,
    var_option,
)
from kiter.cli.watching import WatchOptions, start_watching, watch_options
from kiter.project import parse_var_overrides


@click.command()
@click.argument("job")
@target_option
@iteration_option
@var_option
@click.option("--no-wait", is_flag=True, help="Return once the engine accepted the script.")
@click.option("--force", is_flag=True, help="Run even if the retention guard refuses.")
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
    quiet: bool,
    fmt: str,
    watch: WatchOptions,
) -> None:
    """Run one iteration of JOB: claim it, (stage it), render, submit, wait, record.

    Without --iteration it runs the ledger's next iteration: the FAILED one if any (same number,
    same records), else the last SUCCEEDED + 1. Exit 0 only when the engine reports success;
    3 when another run holds the logical name; 130 after Ctrl-C/SIGTERM (cancelled, FAILED).
    Each attempt keeps its log in .kiter/logs/ (kiter logs shows it); --metrics-file, --metrics,
    --on-success, --on-failure and --notify report the outcome (see README, "Watching runs").

    \b
    Example:
      kiter submit top_errors
      kiter --profile local submit top_errors --format csv
      kiter submit top_errors_pig --target emr --no-wait
      kiter submit top_errors --metrics-file /var/lib/node_exporter/kiter.prom
    """
    from kiter.runner import RunOptions

    sigterm_as_interrupt()
    project = app.project
    config = project.job(job)
    target_config = project.target_for(config, target)
    options = RunOptions(
        iteration=iteration,
        wait=not no_wait,
        force=force,
        overrides=parse_var_overrides(variables),
    )
    watching = start_watching(app, [config], watch, quiet=quiet)
    with watching.outcome(config.name), app.board(quiet) as board:
        runner = watching.runner(app, config.name, app.progress(quiet), progress=board.line())
        result = runner.run(config, target_config, options)
    print_rows(result.outcome.columns, result.outcome.rows, fmt)
    note(result.summary())
