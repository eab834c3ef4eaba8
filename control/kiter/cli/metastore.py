"""`kiter metastore create | describe | delete` and `kiter iam-policy`."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from kiter.cli.app import App, json_option, note, out, pass_app, warn
from kiter.errors import EXIT_FAILED, ConfigError, KiterError, MissingTable, Refused, UsageError

if TYPE_CHECKING:
    from kiter.metastore.sizing import Sizing
    from kiter.metastore.table import CheckpointTable, TableInfo
    from kiter.project import EmrConfig, Project


@click.group()
def metastore() -> None:
    """Provision and inspect the DynamoDB checkpoint table.

    \b
    Example:
      kiter metastore create --jobs 2 --shards 4
      kiter metastore describe
    """


def _table(app: App) -> CheckpointTable:
    from kiter.metastore.table import CheckpointTable

    meta = app.project.metastore
    return CheckpointTable(app.aws.client("dynamodb"), meta.table, meta.hash_key, meta.range_key)


def _size(app: App, *, jobs: int | None = None, shards: int | None = None) -> Sizing:
    from kiter.metastore.sizing import size_for

    project = app.project
    return size_for(
        [job.logical_name for job in project.jobs.values()],
        [job.stream for job in project.jobs.values()],
        app.aws.client("kinesis"),
        jobs=jobs,
        shards=shards,
    )


@metastore.command()
@click.option("--on-demand", is_flag=True, help="PAY_PER_REQUEST billing instead of provisioned.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Most concurrent jobs (default: the project's logical names).",
)
@click.option(
    "--shards",
    "-s",
    type=click.IntRange(min=1),
    default=None,
    help="Most shards a job reads (default: the most open shards of the project's streams).",
)
@click.option(
    "--update-capacity",
    is_flag=True,
    help="Make an existing table what is asked: raise its capacity to the formula, or switch its "
    "billing (to PAY_PER_REQUEST with --on-demand, to provisioned without).",
)
@json_option
@pass_app
def create(
    app: App,
    on_demand: bool,
    jobs: int | None,
    shards: int | None,
    update_capacity: bool,
    as_json: bool,
) -> None:
    """Create the checkpoint table (idempotent) and wait until it is ACTIVE.

    Keys come from [metastore]: a String hash key and a String range key. By default the table is
    provisioned by EMR's guidance, read = ceil(j*s/5) and write = j*s, with j and s derived from the
    project; --on-demand makes it PAY_PER_REQUEST. An existing table with other keys is an error
    (exit 2, nothing changed); one with less capacity, or billed otherwise than asked (provisioned
    when --on-demand is given, on demand when it is not), gets a warning and is left as it is;
    --update-capacity raises its capacity or switches its billing. Says what the table is on
    stderr; --json prints it on stdout (schema kiter.table/1).

    \b
    Example:
      kiter metastore create
      kiter metastore create --on-demand --json
      kiter metastore create --jobs 3 --shards 8
      kiter metastore create --on-demand
      kiter metastore create --on-demand --update-capacity
    """
    table = _table(app)
    read = write = 0
    if not on_demand:
        sizing = _size(app, jobs=jobs, shards=shards)
        read, write = sizing.read, sizing.write
        note(f"capacity: {sizing.explain()}")
    result = table.create(on_demand=on_demand, read=read, write=write, progress=note)
    info = result.info
    meta = app.project.metastore
    if meta.ledger_table:
        from kiter.metastore.table import create_ledger_table

        create_ledger_table(
            app.aws.client("dynamodb"), meta.ledger_table, meta.hash_key, meta.range_key, note
        )
    if result.present:
        note(f"table {info.name} is present with matching keys")
        info = _settle_billing(table, info, on_demand, read, write, update_capacity)
    if as_json:
        from kiter.jsondoc import document

        out(document("table", info.to_json()))
    else:
        capacity = "on-demand" if info.on_demand else f"{info.read} read / {info.write} write units"
        note(f"table {info.name} is {info.status}: {info.billing_mode}, {capacity}")


def _settle_billing(
    table: CheckpointTable, info: TableInfo, on_demand: bool, read: int, write: int, update: bool
) -> TableInfo:
    """An existing table billed otherwise than asked, or below the formula: said, and changed
    only with --update-capacity."""
    from kiter.metastore.table import billing_mismatch, capacity_shortfall

    mismatch = billing_mismatch(info, on_demand=on_demand, read=read, write=write)
    if mismatch and not update:
        wanted = "PAY_PER_REQUEST" if on_demand else f"PROVISIONED at {read} read / {write} write"
        keep = "" if on_demand else "; --on-demand keeps it as it is"
        warn(f"{mismatch}: --update-capacity switches it to {wanted}{keep}")
        return info
    if mismatch and on_demand:
        info = table.switch_to_on_demand()
        note(f"switched table {info.name} to PAY_PER_REQUEST (on-demand) billing")
        return info
    if mismatch:
        info = table.update_capacity(read, write)
        note(
            f"switched table {info.name} to PROVISIONED billing, {read} read / {write} write units"
        )
        return info
    shortfall = None if on_demand else capacity_shortfall(info, read, write)
    if shortfall and update:
        info = table.update_capacity(read, write)
        note(f"raised capacity to {read} read / {write} write units")
    elif shortfall:
        warn(shortfall + " (--update-capacity raises it)")
    return info


@metastore.command()
@json_option
@pass_app
def describe(app: App, as_json: bool) -> None:
    """Show the table's keys, billing, capacity against the formula, and the ledger per logical name.

    \b
    Example:
      kiter metastore describe --json
    """
    from kiter.metastore.table import capacity_shortfall

    info = _table(app).describe()
    if info is None:
        raise MissingTable(app.project.metastore.table, region=app.aws.region)
    report = {"table": info.to_json(), "ledger": app.ledger.summary()}
    try:
        sizing = _size(app)
        report["formula"] = {
            "read": sizing.read,
            "write": sizing.write,
            "explain": sizing.explain(),
        }
        shortfall = capacity_shortfall(info, sizing.read, sizing.write)
    except UsageError as exc:
        report["formula"] = {"error": str(exc)}
        shortfall = None
    if as_json:
        from kiter.jsondoc import document

        out(document("metastore", report))
        return
    capacity = "on-demand" if info.on_demand else f"{info.read} read / {info.write} write units"
    out(f"table     {info.name} ({info.status})")
    out(f"keys      {info.hash_key} ({info.hash_type}) / {info.range_key} ({info.range_type})")
    out(f"billing   {info.billing_mode}: {capacity}")
    formula = report["formula"]
    out(f"formula   {formula.get('explain') or formula.get('error')}")
    out("ledger")
    for logical, counts in sorted(report["ledger"].items()):
        out(f"  {logical}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if shortfall:
        warn(shortfall)


@metastore.command()
@click.option("--yes", is_flag=True, help="Really delete.")
@pass_app
def delete(app: App, yes: bool) -> None:
    """Delete the checkpoint table; refused while any iteration holds a live lease.

    Deleting it loses every checkpoint: logical names start over from iteration 0.

    \b
    Example:
      kiter metastore delete --yes
    """
    if not yes:
        raise UsageError("deleting the checkpoint table loses every checkpoint: pass --yes")
    running = app.ledger.any_running()
    if running:
        raise Refused("not deleting: " + "; ".join(lease.busy_message() for lease in running))
    if not _table(app).delete(progress=note):
        sys.exit(EXIT_FAILED)


@click.command("iam-policy")
@click.option("--account", default="*", help="AWS account id for the ARNs (12 digits).")
@click.option(
    "--log-uri",
    default=None,
    metavar="S3URL",
    help="The LogUri of the EMR targets' clusters (default: asked of EMR with DescribeCluster).",
)
@pass_app
def iam_policy(app: App, account: str, log_uri: str | None) -> None:
    """Print the least-privilege IAM policy the project needs, built from kiter.toml.

    An EMR target's step logs are read where its cluster pushes them: the cluster's LogUri, asked
    of EMR unless --log-uri gives it. Names still holding the scaffold's placeholders are warned
    about on stderr.

    \b
    Example:
      kiter iam-policy --account 123456789012 > kiter-policy.json
      kiter iam-policy --account 123456789012 --log-uri s3://my-logs/emr/
    """
    from kiter.metastore.iam import ServerlessGrant, check_account, output_prefix, task_logs
    from kiter.metastore.iam import iam_policy as build
    from kiter.project import EmrConfig, EmrServerlessConfig, HadoopJobConfig

    check_account(account)
    project = app.project
    emr = [t for t in project.targets.values() if isinstance(t, EmrConfig)]
    serverless = [t for t in project.targets.values() if isinstance(t, EmrServerlessConfig)]
    placeholders = _placeholders(project, log_uri)
    for key, value in placeholders.items():
        warn(
            f"{key} is still the scaffold's placeholder {value!r}: the policy names it as it "
            "is; edit kiter.toml and print the policy again"
        )
    prefixes = [t.script_prefix for t in emr] + [t.script_prefix for t in serverless]
    if project.staging.location.startswith("s3://"):
        prefixes.append(project.staging.location)
    # A streaming or jar step's output: kiter empties it before a rerun and reads it back.
    hadoop = [j for j in project.jobs.values() if isinstance(j, HadoopJobConfig)]
    prefixes += [p for p in dict.fromkeys(output_prefix(j.output) for j in hadoop) if p]
    logs = _step_logs(app, emr, log_uri, skip=set(placeholders.values()))
    if hadoop:  # their failures are explained from their tasks' logs too
        logs += [p for prefix in logs for p in task_logs(prefix)]
    grants = [
        ServerlessGrant(t.application_id or "*", t.execution_role_arn, t.log_uri)
        for t in serverless
    ]
    policy = build(
        region=app.aws.region,
        account=account,
        table=project.metastore.table,
        ledger_table=project.metastore.ledger_table,
        checkpoint_tables=sorted(
            {j.checkpoint_table for j in project.jobs.values() if j.checkpoint_table}
        ),
        read_tables=sorted({j.campaign_table for j in project.jobs.values() if j.campaign_table}),
        streams=sorted({job.stream for job in project.jobs.values()}),
        s3_prefixes=prefixes,
        emr_clusters=sorted({t.cluster_id or "*" for t in emr}),
        serverless=grants,
        emr_logs=logs,
    )
    out(json.dumps(policy, indent=2))


def _placeholders(project: Project, log_uri: str | None) -> dict[str, str]:
    """The names the policy would carry that are still `kiter init`'s placeholders, by key."""
    from kiter.project import EmrConfig, EmrServerlessConfig
    from kiter.project.placeholders import is_placeholder

    named: dict[str, str | None] = {"--log-uri": log_uri}
    if project.staging.location.startswith("s3://"):
        named["staging.location"] = project.staging.location
    for t in project.targets.values():
        if isinstance(t, EmrConfig):
            named[f"targets.{t.name}.cluster_id"] = t.cluster_id
            named[f"targets.{t.name}.script_prefix"] = t.script_prefix
        if isinstance(t, EmrServerlessConfig):
            named[f"targets.{t.name}.script_prefix"] = t.script_prefix
            named[f"targets.{t.name}.log_uri"] = t.log_uri
    return {key: value for key, value in named.items() if value and is_placeholder(value)}


def _step_logs(
    app: App, targets: list[EmrConfig], log_uri: str | None, skip: set[str]
) -> list[str]:
    """Where each EMR target's cluster pushes its step logs; a cluster whose LogUri cannot be
    known is said, and its logs are left out of the policy."""
    from kiter.metastore.iam import ANY_CLUSTER, cluster_log_uri, step_logs
    from kiter.targets.emr import EmrTarget

    if log_uri is not None:
        try:
            return [step_logs(log_uri, t.cluster_id or ANY_CLUSTER) for t in targets]
        except ConfigError:
            raise UsageError(f"--log-uri {log_uri!r} is not an s3://bucket/prefix URL") from None
    found: list[str] = []
    for target in targets:
        if target.cluster_id in skip:
            continue  # the scaffold's placeholder: nothing to ask EMR
        cluster = target.cluster_id or f"named {target.cluster_name!r}"
        try:
            cluster_id = target.cluster_id
            if cluster_id is None:
                # Looked up as a run looks it up: the one RUNNING/WAITING cluster of that name.
                engine = app.target(target)
                assert isinstance(engine, EmrTarget)
                cluster_id = engine.cluster_id
            uri = cluster_log_uri(app.aws.client("emr"), cluster_id)
        except KiterError as exc:
            warn(
                f"targets.{target.name}: the policy grants no read of step logs: the LogUri of "
                f"cluster {cluster} is unknown ({exc}); --log-uri gives it"
            )
            continue
        if uri is None:
            note(f"cluster {cluster} was created without LogUri: its steps leave no logs to read")
            continue
        found.append(step_logs(uri, target.cluster_id or ANY_CLUSTER))
    return found
