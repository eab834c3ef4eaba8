"""`kiter status`: where every job stands, in one look; the exit code for cron and monitors."""

from __future__ import annotations

import sys
import time

import click

from kiter.cli.app import App, json_option, out, pass_app, print_rows
from kiter.errors import EXIT_FAILED
from kiter.tabular import clip

# A problem line of the table (a failure's reason can run to pages; --json has it whole).
PROBLEM_WIDTH = 200


@click.command()
@click.argument("job_names", metavar="[JOB]...", nargs=-1)
@click.option(
    "--max-age",
    default=None,
    metavar="DURATION",
    help="A job is unhealthy when its oldest unread record is older than this (e.g. 15m).",
)
@json_option
@pass_app
def status(app: App, job_names: tuple[str, ...], max_age: str | None, as_json: bool) -> None:
    """Show each job's last finished iteration (state, attempts, when it ended, how long it
    took) and its current one: running under a lease (holder, since when), running on the engine
    with nobody watching after --no-wait (submission, since when), staged by `kiter stage` and
    not run yet, or abandoned by a holder that stopped; then the next number, how far behind the
    stream it is (the age of the oldest record no iteration has read, staged jobs) and the
    stream's open shards. It reads the ledger's head and two newest iterations (not the whole
    history `kiter iterations` shows), and says of them what `kiter iterations` says.

    Exit 0 when every job is healthy, 1 when a job's last finished iteration FAILED (it is retried
    by the next submit or run) or its oldest unread record is older than --max-age. A staged
    iteration, or one running, is healthy.

    \b
    Example:
      kiter status
      kiter status top_errors --max-age 15m --json
    """
    from kiter.durations import parse_duration
    from kiter.jobstatus import job_status, status_rows

    project = app.project
    limit = parse_duration(max_age, option="--max-age") if max_age else None
    jobs = [project.job(name) for name in job_names] or list(project.jobs.values())
    kinesis = app.aws.client("kinesis")
    statuses = [job_status(job, app.ledger, kinesis, now=time.time, max_age=limit) for job in jobs]
    if as_json:
        from kiter.jsondoc import document

        out(document("status", {"jobs": [s.to_json() for s in statuses]}))
    else:
        columns, rows = status_rows(statuses)
        print_rows(columns, rows, "table")
        for s in statuses:
            for problem in s.problems:
                out(f"{s.job}: {clip(problem, PROBLEM_WIDTH)}")
    if not all(s.healthy for s in statuses):
        sys.exit(EXIT_FAILED)
