"""`kiter submit`, `kiter stage`, `kiter query`, `kiter logs`, `kiter iterations`."""

from __future__ import annotations

import json
import signal
import sys
from types import FrameType
from typing import Any

import click

from kiter.cli.app import (
    App,
    echo_for,
    format_option,
    iteration_option,
    json_option,
    note,
    out,
    pass_app,
    quiet_option,
    target_option,
    var_option,
)
from kiter.errors import UsageError
from kiter.project import parse_var_overrides


def sigterm_as_interrupt() -> None:
    """SIGTERM gets the same clean stop as Ctrl-C: cancel on the engine, record FAILED, exit 130."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> None:
    from kiter.tabular import format_rows

    if columns:
        out(format_rows(columns, rows, fmt))  # type: ignore[arg-type]  # click.Choice checked it


@click.command()
@click.argument("job")
@target_option
@iteration_option
@var_option
@click.option("--no-wait", is_flag=True, help="Return once the engine accepted the script.")
@click.option("--force", is_flag=True, help="Run even if the retention guard refuses.")
@quiet_option
@format_option
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
) -> None:
    """Run one iteration of JOB: claim it, (stage it), render, submit, wait, record.

    Without --iteration it runs the ledger's next iteration: the FAILED one if any (same number,
    same records), else the last SUCCEEDED + 1. Exit 0 only when the engine reports success;
    3 when another run holds the logical name; 130 after Ctrl-C/SIGTERM (cancelled, FAILED).

    \b
    Example:
      kiter submit top_errors
      kiter --profile local submit top_errors --format csv
      kiter submit top_errors_pig --target emr --no-wait
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
    result = app.runner(echo_for(quiet)).run(config, target_config, options)
    print_rows(result.outcome.columns, result.outcome.rows, fmt)
    note(result.summary())


@click.command()
@click.argument("job")
@iteration_option
@quiet_option
@pass_app
def stage(app: App, job: str, iteration: int | None, quiet: bool) -> None:
    """Read and stage one iteration of a staged JOB without running its script.

    Records the iteration's shard boundaries in the ledger; the next `kiter submit` re-reads
    exactly those records and runs the script (for debugging, or for EMR runs later).

    \b
    Example:
      kiter stage top_errors --iteration 0
    """
    sigterm_as_interrupt()
    config = app.project.job(job)
    read = app.runner(echo_for(quiet)).stage(config, iteration)
    out(
        json.dumps(
            {
                "iteration": read.iteration,
                "records": read.total_records,
                "bytes": read.total_bytes,
                "shards": read.boundaries_dict(),
            },
            indent=2,
        )
    )


@click.command()
@click.argument("sql", required=False)
@click.option(
    "-f",
    "--file",
    "path",
    type=click.File("r"),
    default=None,
    help="Read SQL from FILE ('-': stdin).",
)
@target_option
@quiet_option
@format_option
@pass_app
def query(app: App, sql: str | None, path: Any, target: str | None, quiet: bool, fmt: str) -> None:
    """Run ad-hoc HiveQL on a HiveServer2 target, outside any job or ledger.

    Statements are split as the Hive CLI does; the last statement's rows are printed.

    \b
    Example:
      kiter query --target local "SELECT * FROM weblogs WHERE iteration = 3 LIMIT 20"
      kiter query -f report.hql --format json
      echo "SHOW TABLES" | kiter query
    """
    from kiter.targets.hiveserver2 import HiveServer2Target

    sigterm_as_interrupt()
    if sql is not None and path is not None:
        raise UsageError("give SQL as an argument or with -f, not both")
    text = sql if sql is not None else (path.read() if path is not None else None)
    if text is None:
        if sys.stdin.isatty():
            raise UsageError("no SQL: give it as an argument, with -f FILE, or on stdin")
        text = sys.stdin.read()
    project = app.project
    name = target or _only_hiveserver2(app)
    if name not in project.targets:
        raise UsageError(
            f"no target named {name!r} (targets: {', '.join(sorted(project.targets)) or 'none'})"
        )
    engine = app.target(project.targets[name], echo_for(quiet))
    if not isinstance(engine, HiveServer2Target):
        raise UsageError(f"target {name} is an EMR target: kiter query needs a HiveServer2 target")
    outcome = engine.query(text)
    print_rows(outcome.columns, outcome.rows, fmt)


def _only_hiveserver2(app: App) -> str:
    """The HiveServer2 target to query when none is named: the only one, or the only one the
    selected profile defines (`--profile local` means the local stack's)."""
    project = app.project
    names = [n for n, t in project.targets.items() if t.kind == "hiveserver2"]
    if len(names) > 1:
        names = [n for n in names if n in project.profile_targets] or names
    if len(names) != 1:
        raise UsageError(
            "choose a HiveServer2 target with --target"
            + (f" (one of: {', '.join(sorted(names))})" if names else ": the project has none")
        )
    return names[0]


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
    help="Seconds to wait for EMR to push the step's logs.",
)
@pass_app
def logs(app: App, job: str, iteration: int, wait_seconds: float) -> None:
    """Fetch an EMR step's logs for an iteration of JOB and explain why it failed.

    \b
    Example:
      kiter logs top_errors --iteration 41
    """
    from kiter.targets.emr import EmrTarget

    project = app.project
    config = project.job(job)
    record = app.ledger.get(config.logical_name, iteration)
    if record is None:
        raise UsageError(f"the ledger has no iteration {iteration} of {config.logical_name}")
    step_id = record.stats.get("submission_id") or record.submission_id
    target_config = project.targets.get(record.target) if record.target else None
    if target_config is None or target_config.kind != "emr" or not str(step_id).startswith("s-"):
        raise UsageError(
            f"iteration {iteration} of {config.logical_name} ran on {record.target or 'no target'}"
            f" ({step_id or 'no submission'}): kiter logs explains EMR steps"
        )
    engine = app.target(target_config, note)
    assert isinstance(engine, EmrTarget)
    out(engine.explain(str(step_id), wait_seconds=wait_seconds))


@click.command()
@click.argument("job")
@json_option
@pass_app
def iterations(app: App, job: str, as_json: bool) -> None:
    """Show the ledger of JOB's logical name: number, state, attempts, times, submission, records.

    \b
    Example:
      kiter iterations top_errors --json
    """
    config = app.project.job(job)
    records = app.ledger.history(config.logical_name)
    if as_json:
        out(json.dumps([r.to_json() for r in records], indent=2))
        return
    from kiter.metastore.ledger import epoch

    rows = []
    for r in records:
        start, end = epoch(r.claimed), epoch(r.finished)
        duration = f"{end - start:.1f}s" if start is not None and end is not None else ""
        submission = r.stats.get("submission_id") or r.submission_id
        rows.append(
            (
                r.iteration,
                r.state,
                r.attempts,
                r.started or r.claimed,
                duration,
                submission,
                r.stats.get("records", ""),
                r.reason[:60],
            )
        )
    print_rows(
        [
            "iteration",
            "state",
            "attempts",
            "started",
            "duration",
            "submission",
            "records",
            "reason",
        ],
        rows,
        "table",
    )
