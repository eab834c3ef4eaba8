"""`kiter stage`: read and stage one iteration without running it."""

from __future__ import annotations

import click

from kiter.cli.app import (
    App,
    iteration_option,
    json_option,
    note,
    out,
    pass_app,
    quiet_option,
    sigterm_as_interrupt,
)


@click.command()
@click.argument("job")
@iteration_option
@quiet_option
@json_option
@pass_app
def stage(app: App, job: str, iteration: int | None, quiet: bool, as_json: bool) -> None:
    """Read and stage one iteration of a staged JOB without running its script.

    Records the iteration's shard boundaries in the ledger; the next `kiter submit` re-reads
    exactly those records and runs the script (for debugging, or for EMR runs later). Says
    what it staged on stderr; --json prints it on stdout (schema kiter.stage/1).

    \b
    Example:
      kiter stage top_errors --iteration 0
      kiter stage top_errors --json
    """
    from kiter.jsondoc import document

    sigterm_as_interrupt()
    config = app.project.job(job)
    read = app.runner(app.progress(quiet)).stage(config, iteration)
    if not as_json:
        note(
            f"staged iteration {read.iteration} of {config.logical_name}: {read.total_records} "
            f"records, {read.total_bytes} bytes; `kiter submit {config.name}` runs it"
        )
        return
    body = {
        "job": config.name,
        "logical_name": config.logical_name,
        "iteration": read.iteration,
        "records": read.total_records,
        "bytes": read.total_bytes,
        "shards": read.boundaries_dict(),
    }
    out(document("stage", body))
