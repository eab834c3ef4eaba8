"""`kiter stage`: read and stage one iteration without running it."""

from __future__ import annotations

import json

import click

from kiter.cli.app import (
    App,
    iteration_option,
    out,
    pass_app,
    quiet_option,
    sigterm_as_interrupt,
)


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
    read = app.runner(app.progress(quiet)).stage(config, iteration)
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
