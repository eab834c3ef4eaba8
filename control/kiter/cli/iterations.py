"""`kiter iterations`: the ledger of a job's logical name."""

from __future__ import annotations

import json

import click

from kiter.cli.app import (
    App,
    json_option,
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
