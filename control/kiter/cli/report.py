"""`kiter report`: the ledger's iterations as charts, in one HTML file that opens offline."""

from __future__ import annotations

import time
from pathlib import Path

import click

from kiter.cli.app import App, out, pass_app


@click.command()
@click.argument("job_names", metavar="[JOB]...", nargs=-1)
@click.option(
    "-o",
    "--output",
    default="report.html",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Where to write the page; - prints it on stdout.",
)
@click.option(
    "--last",
    default=500,
    show_default=True,
    type=click.IntRange(min=1),
    help="Each job's newest N iterations (the ledger is read no further).",
)
@pass_app
def report(app: App, job_names: tuple[str, ...], output: str, last: int) -> None:
    """Write one self-contained HTML page with charts of each JOB's iterations (every job when
    none is named): records staged and duration per iteration, failures in red, iterations that
    took more than one attempt marked, the backlog age over time (staged jobs) and the time
    between iterations. No script, font or image is fetched: it opens offline. It reads the
    ledger only, the newest --last iterations of each job.

    \b
    Example:
      kiter report -o report.html
      kiter report top_errors --last 100 -o top_errors.html
    """
    from kiter.report import build_report, write_report

    project = app.project
    jobs = [project.job(name) for name in job_names] or list(project.jobs.values())
    result = build_report(
        jobs, app.ledger, last=last, now=time.time(), title=f"kiter report: {project.root.name}"
    )
    if output == "-":
        out(result.html, nl=False)
        return
    write_report(Path(output), result.html)
    shown = ", ".join(f"{s.job} ({_iterations(len(s.points))})" for s in result.series)
    app.progress()(f"wrote {output}: {shown or 'no jobs'}")


def _iterations(n: int) -> str:
    return f"{n} iteration" + ("" if n == 1 else "s")
