"""`kiter iterations`: the ledger of a job's logical name."""

from __future__ import annotations

import click

from kiter.cli.app import (
    App,
    json_option,
    ledger_rows,
    out,
    pass_app,
    print_rows,
)


@click.command()
@click.argument("job")
@click.option(
    "--last",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    metavar="N",
    help="The newest N iterations (one Query of N items, however long the history).",
)
@click.option("--all", "everything", is_flag=True, help="Every iteration the ledger holds.")
@json_option
@pass_app
def iterations(app: App, job: str, last: int, everything: bool, as_json: bool) -> None:
    """Show the ledger of JOB's logical name: number, state, attempts, times, submission, records,
    oldest first: the newest --last N iterations, or --all.

    --json prints the same iterations whole (schema kiter.iterations/1, see README "JSON output").

    \b
    Example:
      kiter iterations top_errors --json
      kiter iterations top_errors --last 200
    """
    config = app.project.job(job)
    if everything:
        records = app.ledger.history(config.logical_name)
    else:
        newest = app.ledger.history(config.logical_name, newest_first=True, limit=last)
        records = newest[::-1]
    if as_json:
        from kiter.jsondoc import document

        body = {
            "job": config.name,
            "logical_name": config.logical_name,
            "iterations": [r.to_json() for r in records],
        }
        out(document("iterations", body))
        return
    columns, rows = ledger_rows(records)
    print_rows(columns, rows, "table")
