"""`kiter import`: make a job of an existing connector script, without editing the script."""

from __future__ import annotations

from pathlib import Path

import click

from kiter.cli.app import App, note, out, pass_app


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--name", default=None, help="Job name (default: the (last) file's name).")
@click.option("--stream", default=None, help="Kinesis stream (default: the one the script reads).")
@click.option(
    "--logical-name", default=None, help="Logical name (default: the script's own SET, else NAME)."
)
@click.option("--target", "-t", default=None, help="Target (default: the project's only one).")
@click.option(
    "--mode",
    type=click.Choice(["connector", "staged"]),
    default="connector",
    show_default=True,
    help="connector: the EMR connector reads the stream; staged: kiter does.",
)
@click.option(
    "--next-iteration",
    type=click.IntRange(min=0),
    default=None,
    help="The logical name ran on EMR up to N-1: kiter's ledger starts at N.",
)
@pass_app
def import_script(
    app: App,
    paths: tuple[str, ...],
    name: str | None,
    stream: str | None,
    logical_name: str | None,
    target: str | None,
    mode: str,
    next_iteration: int | None,
) -> None:
    """Make a job of existing connector scripts: copy them unchanged into hiveql/ or piglatin/
    and append a [jobs.NAME] table to kiter.toml (its comments kept). Several files make one job
    that runs them in the order given, in one session on one iteration (templates = [...]).

    The engine comes from the extension (.q/.hql/.sql: Hive, .pig: Pig), the stream from the
    script's Kinesis table or load, the logical name from its own SET line. From then on kiter
    owns the checkpoint settings: the script's own SET lines are replaced when it renders.

    \b
    Example:
      kiter import ~/scripts/errors.hql --target emr
      kiter import clicks.pig --name clicks --next-iteration 412
      kiter import create_table.q query.q --name access_logs --mode staged
    """
    from kiter.adopt.importing import plan_import, write_import
    from kiter.checkpoint import IDENTITY_KEYS, OWNED_KEYS

    project = app.project
    chosen = target or _only_target(app)
    if chosen is not None and chosen not in project.targets:
        known = ", ".join(sorted(project.targets)) or "none"
        raise click.UsageError(f"no target named {chosen!r} (targets: {known})")
    plan = plan_import(
        project.root,
        [Path(path) for path in paths],
        name=name,
        stream=stream,
        logical_name=logical_name,
        target=chosen,
        mode=mode,
        existing_jobs=tuple(project.jobs),
        project_table=project.metastore.table,
        region=project.aws.region,
        project_keys={
            "hash_key": project.metastore.hash_key,
            "range_key": project.metastore.range_key,
        },
    )
    if next_iteration is not None:
        app.ledger.start_at(plan.logical_name, next_iteration)
        note(f"the ledger of {plan.logical_name} starts at iteration {next_iteration}")
    write_import(plan, project.path, flags=app.flags, profile=app.profile)
    names = ", ".join(source.name for source in plan.sources)
    out(f"imported {names} as job {plan.name} ({plan.engine}, {plan.mode} mode)")
    for copy_to in plan.copies:
        out(f"  template     {copy_to.relative_to(project.root)}")
    out(f"  stream       {plan.stream}")
    out(f"  logical name {plan.logical_name}")
    out(f"  target       {plan.target or '(none: set jobs.' + plan.name + '.target)'}")
    if plan.checkpoint_table:
        ledger = project.metastore.ledger_table or project.metastore.table
        out(
            f"  checkpoint   {plan.checkpoint_table} (the script's own table: the connector "
            f"checkpoints there; kiter's ledger stays in {ledger})"
        )
    for file, parameter, key, line in plan.parameters:
        out(
            f"  ${parameter:<11} {file}:{line}: carries {key}: kiter passes "
            f"{parameter}=<its value> to Pig at every submit"
        )
    for field, value in plan.carried:
        out(f"  {field:<12} {value} (the script's own value, now the job's)")
    out("kiter owns from now on (the script's lines are replaced when it renders):")
    for file, line, key, value in plan.owned:
        out(f"  {file}:{line}: {key} = {value}")
    out(f"  and every one of: {', '.join((*IDENTITY_KEYS, *OWNED_KEYS))}")
    out(f"next: kiter validate {plan.name}; kiter submit {plan.name}")


def _only_target(app: App) -> str | None:
    targets = list(app.project.targets)
    return targets[0] if len(targets) == 1 else None
