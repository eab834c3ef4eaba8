"""`kiter jobs`, `kiter render`, `kiter validate`: the offline commands."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click

from kiter.cli.app import (
    App,
    iteration_option,
    json_option,
    note,
    out,
    pass_app,
    var_option,
    warn,
)
from kiter.errors import EXIT_FAILED
from kiter.project import parse_var_overrides


@click.command()
@json_option
@pass_app
def jobs(app: App, as_json: bool) -> None:
    """List the project's jobs: name, engine, stream, logical name, target, mode.

    A job with a problem of its own (a missing template, a bad key) is listed too, its problems
    said after the list; the exit code is then 2.

    \b
    Example:
      kiter jobs --json
    """
    from kiter.errors import ConfigError, ConfigErrors

    project = app.project_keeping_broken_jobs()
    rows: list[dict[str, Any]] = [
        {
            "name": job.name,
            "engine": job.engine,
            "stream": job.stream,
            "logical_name": job.logical_name,
            "target": job.target or "",  # null in --json (kiter.jsondoc)
            "mode": job.mode,
            "template": job.template,
            "templates": list(job.template_names),  # in the order they run
        }
        for job in project.jobs.values()
    ]
    problems: list[ConfigError] = []
    for broken in project.broken_jobs.values():
        rows.append(
            _as_written(broken.name, broken.table) | {"problems": [str(p) for p in broken.problems]}
        )
        problems.extend(broken.problems)
    if as_json:
        from kiter.jsondoc import document

        out(document("jobs", {"jobs": rows}))
    else:
        from kiter.tabular import format_rows

        columns = ["name", "engine", "stream", "logical_name", "target", "mode"]
        out(format_rows(columns, [tuple(r[c] for c in columns) for r in rows], "table"))
    if problems:
        raise problems[0] if len(problems) == 1 else ConfigErrors(problems)


def _as_written(name: str, table: Mapping[str, Any]) -> dict[str, Any]:
    """A broken job's row: its table's text values, as written."""

    def text(key: str, default: str = "") -> str:
        value = table.get(key, default)
        return value if isinstance(value, str) else default

    return {
        "name": name,
        "engine": text("engine"),
        "stream": text("stream"),
        "logical_name": text("logical_name", name),
        "target": text("target"),
        "mode": text("mode", "connector"),
        "template": text("template"),
        "templates": [t for t in table.get("templates", []) if isinstance(t, str)]
        if isinstance(table.get("templates"), list)
        else [text("template")],
    }


@click.command()
@click.argument("job")
@iteration_option
@var_option
@click.option(
    "--rerun", is_flag=True, help="Render as a rerun (kinesis.rerun.iteration.without.wait=true)."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write DIR/<job>/<iteration>.hql|.pig and DIR/manifest.json instead of printing.",
)
@pass_app
def render(
    app: App,
    job: str,
    iteration: int | None,
    variables: tuple[str, ...],
    rerun: bool,
    out_dir: str | None,
) -> None:
    """Render JOB's script for one iteration, with the checkpoint settings injected.

    Without --iteration it renders the ledger's next iteration (as a rerun when that is a
    retry) and says which on stderr; when the ledger cannot be read (offline, no AWS), iteration
    0, with a note. Cross-account keys show as ****.

    \b
    Example:
      kiter render top_errors --iteration 3 --var output=s3://bucket/out
      kiter render top_errors --iteration 3 --out build/
    """
    from pathlib import Path

    from kiter.render import write_rendered

    config = app.project.job(job)
    overrides = parse_var_overrides(variables)
    used = ""  # which iteration the ledger gave, said once the script is out
    if iteration is None:
        from kiter.dryrun import iteration_to_render
        from kiter.wiring import make_ledger

        app.renderer.check_overrides(config, overrides)  # a typo is said before any AWS call
        iteration, retry, used = iteration_to_render(
            lambda: make_ledger(app.project, app.aws, retries=False), config.logical_name
        )
        rerun = rerun or retry
    rendered = app.renderer.render(config, iteration, overrides=overrides, rerun=rerun)
    for line in rendered.notes:
        warn(line)
    if out_dir is None:
        if used:
            note(used)
        out(rendered.text, nl=False)
        return
    path = write_rendered(rendered, Path(out_dir))
    if used:
        note(used)
    note(f"wrote {path} (sha256 {rendered.sha256[:12]})")


@click.command()
@click.argument("job_names", metavar="[JOB]...", nargs=-1)
@iteration_option
@pass_app
def validate(app: App, job_names: tuple[str, ...], iteration: int | None) -> None:
    """Render jobs (all by default) and check the scripts offline.

    HiveQL is parsed statement by statement with sqlglot's Hive dialect; Pig Latin is checked for
    statement ends, quotes, SET lines, aliases and the Kinesis loader. The checkpoint settings must
    be present and agree with the job. Exit 1 when any job has a problem; the scaffold's
    placeholders where a job writes and job vars no template reads are warnings.

    \b
    Example:
      kiter validate
      kiter validate top_errors top_errors_pig
    """
    from kiter.validation import validate_job

    project = app.project
    names = job_names or tuple(project.jobs)
    failed = 0
    for name in names:
        check = validate_job(app.renderer, project.job(name), iteration or 0)
        if check.ok:
            out(f"ok    {name} ({check.script})")
        else:
            failed += 1
            out(f"FAIL  {name} ({check.script})")
        for problem in check.problems:
            out(f"  {problem}")
    if failed:
        note(f"{failed} of {len(names)} jobs failed validation")
        sys.exit(EXIT_FAILED)
