"""A least-privilege IAM policy for what a kiter project touches.

`iam_policy` is pure data: it builds a policy document from names in kiter.toml and prints nothing.
Statements with no resources are left out rather than widened to "*". The one thing kiter.toml
does not say, where an EMR cluster pushes its step logs, is asked of EMR by `cluster_log_uri`
(the call kiter itself makes before it reads them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kiter.errors import ConfigError, UsageError

DYNAMODB_ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:Query",
    "dynamodb:Scan",
]
# UpdateTable: `metastore create --update-capacity` raises capacity or switches billing. Not
# DeleteTable: deleting every checkpoint (`metastore delete`) is left to an administrator.
DYNAMODB_TABLE_ACTIONS = ["dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:UpdateTable"]
KINESIS_ACTIONS = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:ListShards",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
]
# DeleteObject: committing a staged partition on S3 removes its temporary and stale objects.
S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
DYNAMODB_READ_ACTIONS = [
    "dynamodb:DescribeTable",
    "dynamodb:Scan",
    "dynamodb:Query",
    "dynamodb:GetItem",
]
EMR_ACTIONS = [
    "elasticmapreduce:AddJobFlowSteps",
    "elasticmapreduce:DescribeStep",
    "elasticmapreduce:ListSteps",
    "elasticmapreduce:CancelSteps",
    "elasticmapreduce:DescribeCluster",
]
# A cluster given by cluster_name is looked up among the account's clusters; ListClusters takes
# no resource but "*".
EMR_LOOKUP_ACTIONS = ["elasticmapreduce:ListClusters"]
# Where a cluster found by name pushes its step logs: its id is known only at run time.
ANY_CLUSTER = "j-*"


# On the application: look at it, start it, start and list its job runs; on its job runs: follow
# and cancel them. ListApplications (an application_name looked up) takes no resource but "*".
EMR_SERVERLESS_APPLICATION_ACTIONS = [
    "emr-serverless:GetApplication",
    "emr-serverless:StartApplication",
    "emr-serverless:StartJobRun",
    "emr-serverless:ListJobRuns",
]
EMR_SERVERLESS_JOB_RUN_ACTIONS = ["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"]


@dataclass(frozen=True)
class ServerlessGrant:
    """What one EMR Serverless target needs: its application ("*" when looked up by name), the
    job runtime role kiter passes, and the prefix its logs are read from."""

    application: str
    role_arn: str
    log_uri: str


def partition(region: str) -> str:
    """The ARN partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def check_account(account: str, *, option: str = "--account") -> str:
    """An AWS account id is 12 digits ("*" when none is given: any account)."""
    if account == "*" or re.fullmatch(r"\d{12}", account):
        return account
    raise UsageError(
        f"{option} {account!r} is not an AWS account id: give its 12 digits (e.g. 123456789012)"
    )


def step_logs(log_uri: str, cluster_id: str = ANY_CLUSTER) -> str:
    """Where EMR pushes a cluster's step logs: `<LogUri>/<cluster-id>/steps/` (any cluster's
    under that LogUri for a cluster found by name, whose id changes with each new cluster)."""
    bucket, prefix = _split_s3(log_uri)
    folder = "/".join(p for p in (prefix.strip("/"), cluster_id, "steps") if p)
    return f"s3://{bucket}/{folder}/"


def task_logs(step_logs_prefix: str) -> list[str]:
    """Where the tasks of a cluster's streaming and jar steps leave their logs, beside its step
    logs: `<LogUri>/<cluster-id>/containers/` (YARN) and `task-attempts/` (AMIs before it)."""
    base = step_logs_prefix.rstrip("/").removesuffix("/steps")
    return [f"{base}/containers/", f"{base}/task-attempts/"]


def output_prefix(output: str) -> str | None:
    """The s3:// folder every iteration of a job's `output` (a Jinja string) falls under: up to
    the last `/` before its first Jinja tag (None: not an s3:// output)."""
    if not output.startswith("s3://"):
        return None
    fixed = re.split(r"\{[{%#]", output, maxsplit=1)
    return fixed[0] if len(fixed) == 1 else fixed[0].rsplit("/", 1)[0] + "/"


def cluster_log_uri(emr: Any, cluster_id: str) -> str | None:
    """The LogUri EMR reports for a cluster, as s3:// (None: created without one)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from kiter.aws import service_error

    try:
        cluster = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
    except (ClientError, BotoCoreError) as exc:
        raise service_error(exc, f"describe cluster {cluster_id}") from None
    log_uri = cluster.get("LogUri")
    # EMR reports LogUri as given at creation, often s3n://.
    return "s3://" + str(log_uri).split("://", 1)[-1] if log_uri else None


def _split_s3(uri: str) -> tuple[str, str]:
    match = re.fullmatch(r"s3[an]?://([^/]+)/?(.*)", uri.strip())
    if not match:
        raise ConfigError(f"S3 prefix {uri!r} is not an s3://bucket/prefix URI")
    return match.group(1), match.group(2)


def _s3_statements(
    part: str, prefixes: list[str], read_prefixes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Read-write objects under `prefixes`, read-only under `read_prefixes`, listing of both."""
    by_bucket: dict[str, list[str]] = {}
    written = _object_arns(part, prefixes, by_bucket)
    read = _object_arns(part, read_prefixes or [], by_bucket)
    read = [arn for arn in read if arn not in written]
    if not by_bucket:
        return []
    statements: list[dict[str, Any]] = []
    if written:
        statements.append(
            {
                "Sid": "KiterS3Objects",
                "Effect": "Allow",
                "Action": S3_OBJECT_ACTIONS,
                "Resource": written,
            }
        )
    if read:
        statements.append(
            {
                "Sid": "KiterS3ReadLogs",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": read,
            }
        )
    # ListBucket is granted on the bucket, so each bucket gets its own statement whose condition
    # names only that bucket's prefixes (one shared condition would let prefixes cross buckets).
    for n, (bucket, keys) in enumerate(by_bucket.items()):
        statement: dict[str, Any] = {
            "Sid": f"KiterS3List{n}",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": f"arn:{part}:s3:::{bucket}",
        }
        if all(keys):
            patterns = sorted({p for key in keys for p in (key, f"{key}/*")})
            statement["Condition"] = {"StringLike": {"s3:prefix": patterns}}
        statements.append(statement)
    return statements


def _object_arns(part: str, prefixes: list[str], by_bucket: dict[str, list[str]]) -> list[str]:
    """The object ARNs under each prefix; `by_bucket` collects every bucket's key prefixes."""
    arns: list[str] = []
    for uri in prefixes:
        bucket, prefix = _split_s3(uri)
        key = prefix.rstrip("/")
        keys = by_bucket.setdefault(bucket, [])
        if key not in keys:
            keys.append(key)
        arn = f"arn:{part}:s3:::{bucket}/{key}/*" if key else f"arn:{part}:s3:::{bucket}/*"
        if arn not in arns:
            arns.append(arn)
    return arns


def _serverless_statements(
    part: str, region: str, account: str, grants: list[ServerlessGrant]
) -> list[dict[str, Any]]:
    if not grants:
        return []
    apps = [
        f"arn:{part}:emr-serverless:{region}:{account}:/applications/{a}"
        for a in dict.fromkeys(g.application for g in grants)
    ]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "KiterEmrServerlessApplications",
            "Effect": "Allow",
            "Action": EMR_SERVERLESS_APPLICATION_ACTIONS,
            "Resource": apps,
        },
        {
            "Sid": "KiterEmrServerlessJobRuns",
            "Effect": "Allow",
            "Action": EMR_SERVERLESS_JOB_RUN_ACTIONS,
            "Resource": [f"{arn}/jobruns/*" for arn in apps],
        },
    ]
    if any(g.application == "*" for g in grants):
        statements.append(
            {
                "Sid": "KiterEmrServerlessLookup",
                "Effect": "Allow",
                "Action": ["emr-serverless:ListApplications"],
                "Resource": "*",
            }
        )
    statements.append(
        {
            "Sid": "KiterPassJobRole",
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": list(dict.fromkeys(g.role_arn for g in grants)),
            "Condition": {"StringLike": {"iam:PassedToService": "emr-serverless.amazonaws.com"}},
        }
    )
    return statements


def iam_policy(
    *,
    region: str,
    account: str = "*",
    table: str,
    streams: list[str],
    s3_prefixes: list[str],
    emr_clusters: list[str],
    ledger_table: str | None = None,
    checkpoint_tables: list[str] | None = None,
    read_tables: list[str] | None = None,
    serverless: list[ServerlessGrant] | None = None,
    emr_logs: list[str] | None = None,
) -> dict[str, Any]:
    """The policy document (Version 2012-10-17) that lets kiter and the connector do their work.

    `ledger_table`: kiter's ledger when it has a table of its own; `checkpoint_tables`: the
    connector tables jobs name of their own (`checkpoint_table`); `read_tables`: tables jobs
    only read (the engagement job's campaigns); `serverless`: the EMR Serverless targets;
    `emr_clusters`: cluster ids, "*" for a cluster looked up by name; `emr_logs`: the S3 prefixes
    EMR pushes step logs to (`step_logs`), read when a step failed.
    """
    part = partition(region)
    statements: list[dict[str, Any]] = []

    def table_arn(name: str) -> str:
        return f"arn:{part}:dynamodb:{region}:{account}:table/{name}"

    owned = [t for t in dict.fromkeys([table, ledger_table or "", *(checkpoint_tables or [])]) if t]
    if owned:
        statements.append(
            {
                "Sid": "KiterCheckpointTable",
                "Effect": "Allow",
                "Action": DYNAMODB_ITEM_ACTIONS + DYNAMODB_TABLE_ACTIONS,
                "Resource": table_arn(owned[0])
                if len(owned) == 1
                else [table_arn(t) for t in owned],
            }
        )
    read = [t for t in dict.fromkeys(read_tables or []) if t and t not in owned]
    if read:
        statements.append(
            {
                "Sid": "KiterReadTables",
                "Effect": "Allow",
                "Action": DYNAMODB_READ_ACTIONS,
                "Resource": [table_arn(t) for t in read],
            }
        )
    stream_arns = [
        f"arn:{part}:kinesis:{region}:{account}:stream/{s}" for s in dict.fromkeys(streams)
    ]
    if stream_arns:
        statements.append(
            {
                "Sid": "KiterStreams",
                "Effect": "Allow",
                "Action": KINESIS_ACTIONS,
                "Resource": stream_arns,
            }
        )
    grants = serverless or []
    reads = [g.log_uri for g in grants] + list(emr_logs or [])
    statements.extend(_s3_statements(part, s3_prefixes, reads))
    cluster_arns = [
        f"arn:{part}:elasticmapreduce:{region}:{account}:cluster/{c}"
        for c in dict.fromkeys(emr_clusters)
    ]
    if cluster_arns:
        statements.append(
            {
                "Sid": "KiterEmrSteps",
                "Effect": "Allow",
                "Action": EMR_ACTIONS,
                "Resource": cluster_arns,
            }
        )
    if "*" in emr_clusters:
        statements.append(
            {
                "Sid": "KiterEmrLookup",
                "Effect": "Allow",
                "Action": EMR_LOOKUP_ACTIONS,
                "Resource": "*",
            }
        )
    statements.extend(_serverless_statements(part, region, account, grants))
    return {"Version": "2012-10-17", "Statement": statements}
