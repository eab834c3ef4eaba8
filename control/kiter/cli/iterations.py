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
@json_option
@pass_app
def iterations(app: App, job: str, as_json: bool) -> None:
    """Show the ledger of JOB's logical name: number, state, attempts, times, submission, records.

    --json prints every iteration whole (schema kiter.iterations/1, see README "JSON output").

    \b
    Example:
      kiter iterations top_errors --json
    """
    config = app.project.job(job)
    records = app.ledger.history(config.logical_name)
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
