"""A least-privilege IAM policy for what a kiter project touches.

Pure data: builds a policy document from names in kiter.toml, calls no AWS API and prints nothing.
Statements with no resources are left out rather than widened to "*".
"""

from __future__ import annotations

import re
from typing import Any

from kiter.errors import ConfigError

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
DYNAMODB_TABLE_ACTIONS = ["dynamodb:DescribeTable", "dynamodb:CreateTable"]
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


def partition(region: str) -> str:
    """The ARN partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _split_s3(uri: str) -> tuple[str, str]:
    match = re.fullmatch(r"s3[an]?://([^/]+)/?(.*)", uri.strip())
    if not match:
        raise ConfigError(f"S3 prefix {uri!r} is not an s3://bucket/prefix URI")
    return match.group(1), match.group(2)


def _s3_statements(part: str, prefixes: list[str]) -> list[dict[str, Any]]:
    by_bucket: dict[str, list[str]] = {}
    for uri in prefixes:
        bucket, prefix = _split_s3(uri)
        by_bucket.setdefault(bucket, [])
        if prefix.rstrip("/") not in by_bucket[bucket]:
            by_bucket[bucket].append(prefix.rstrip("/"))
    if not by_bucket:
        return []
    objects = []
    for bucket, keys in by_bucket.items():
        for key in keys:
            objects.append(
                f"arn:{part}:s3:::{bucket}/{key}/*" if key else f"arn:{part}:s3:::{bucket}/*"
            )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "KiterS3Objects",
            "Effect": "Allow",
            "Action": S3_OBJECT_ACTIONS,
            "Resource": objects,
        }
    ]
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


def iam_policy(
    *,
    region: str,
    account: str = "*",
    table: str,
    streams: list[str],
    s3_prefixes: list[str],
    emr_clusters: list[str],
    ledger_table: str | None = None,
    read_tables: list[str] | None = None,
) -> dict[str, Any]:
    """The policy document (Version 2012-10-17) that lets kiter and the connector do their work.

    `ledger_table`: kiter's ledger when it has a table of its own; `read_tables`: tables jobs
    only read (the engagement job's campaigns).
    """
    part = partition(region)
    statements: list[dict[str, Any]] = []

    def table_arn(name: str) -> str:
        return f"arn:{part}:dynamodb:{region}:{account}:table/{name}"

    owned = [t for t in dict.fromkeys([table, ledger_table or ""]) if t]
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
    statements.extend(_s3_statements(part, s3_prefixes))
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
    return {"Version": "2012-10-17", "Statement": statements}
