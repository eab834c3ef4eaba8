"""`kiter iterations`: the ledger of a job's logical name."""

from __future__ import annotations

import json

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

    \b
    Example:
      kiter iterations top_errors --json
    """
    config = app.project.job(job)
    records = app.ledger.history(config.logical_name)
    if as_json:
        out(json.dumps([r.to_json() for r in records], indent=2))
        return
    columns, rows = ledger_rows(records)
    print_rows(columns, rows, "table")
