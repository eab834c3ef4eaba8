"""The least-privilege policy document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kiter.errors import ConfigError, UsageError
from kiter.metastore.iam import check_account, iam_policy, step_logs


def _by_sid(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def test_policy_grants_each_service_on_named_resources_only() -> None:
    policy = iam_policy(
        region="eu-west-1",
        account="123456789012",
        table="MyEMRKinesisTable",
        streams=["AccessLogStream"],
        s3_prefixes=["s3://bucket/kiter/scripts/"],
        emr_clusters=["j-ABC"],
    )
    assert policy["Version"] == "2012-10-17"
    s = _by_sid(policy)
    assert s["KiterCheckpointTable"]["Resource"] == (
        "arn:aws:dynamodb:eu-west-1:123456789012:table/MyEMRKinesisTable"
    )
    assert {"dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:PutItem"} <= set(
        s["KiterCheckpointTable"]["Action"]
    )
    assert "dynamodb:DeleteTable" not in s["KiterCheckpointTable"]["Action"]
    assert s["KiterStreams"]["Resource"] == [
        "arn:aws:kinesis:eu-west-1:123456789012:stream/AccessLogStream"
    ]
    assert set(s["KiterStreams"]["Action"]) == {
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListShards",
        "kinesis:GetShardIterator",
        "kinesis:GetRecords",
    }
    assert s["KiterS3Objects"]["Resource"] == ["arn:aws:s3:::bucket/kiter/scripts/*"]
    assert s["KiterS3List0"]["Resource"] == "arn:aws:s3:::bucket"
    assert s["KiterS3List0"]["Condition"] == {
        "StringLike": {"s3:prefix": ["kiter/scripts", "kiter/scripts/*"]}
    }
    assert s["KiterEmrSteps"]["Resource"] == [
        "arn:aws:elasticmapreduce:eu-west-1:123456789012:cluster/j-ABC"
    ]
    assert "elasticmapreduce:AddJobFlowSteps" in s["KiterEmrSteps"]["Action"]
    # Nothing is granted on "*".
    assert "*" not in json.dumps([st["Resource"] for st in policy["Statement"]]).split('"')


def test_statements_without_resources_are_left_out() -> None:
    policy = iam_policy(region="us-east-1", table="T", streams=[], s3_prefixes=[], emr_clusters=[])
    assert [s["Sid"] for s in policy["Statement"]] == ["KiterCheckpointTable"]
    assert policy["Statement"][0]["Resource"] == "arn:aws:dynamodb:us-east-1:*:table/T"


def test_list_bucket_conditions_stay_with_their_own_bucket() -> None:
    policy = iam_policy(
        region="us-east-1",
        table="T",
        streams=["a", "b", "a"],
        s3_prefixes=["s3://one/p", "s3://two/q/", "s3://one/r/"],
        emr_clusters=[],
    )
    s = _by_sid(policy)
    assert len(s["KiterStreams"]["Resource"]) == 2
    assert s["KiterS3List0"]["Resource"] == "arn:aws:s3:::one"
    assert s["KiterS3List0"]["Condition"]["StringLike"]["s3:prefix"] == ["p", "p/*", "r", "r/*"]
    assert s["KiterS3List1"]["Resource"] == "arn:aws:s3:::two"
    assert s["KiterS3List1"]["Condition"]["StringLike"]["s3:prefix"] == ["q", "q/*"]


def test_a_whole_bucket_is_listed_without_a_prefix_condition() -> None:
    policy = iam_policy(
        region="us-east-1", table="T", streams=[], s3_prefixes=["s3://whole"], emr_clusters=[]
    )
    s = _by_sid(policy)
    assert s["KiterS3Objects"]["Resource"] == ["arn:aws:s3:::whole/*"]
    assert "Condition" not in s["KiterS3List0"]


def test_china_and_govcloud_regions_use_their_partition() -> None:
    cn = iam_policy(region="cn-north-1", table="T", streams=["s"], s3_prefixes=[], emr_clusters=[])
    gov = iam_policy(region="us-gov-west-1", table="T", streams=[], s3_prefixes=[], emr_clusters=[])
    assert cn["Statement"][1]["Resource"] == ["arn:aws-cn:kinesis:cn-north-1:*:stream/s"]
    assert gov["Statement"][0]["Resource"].startswith("arn:aws-us-gov:dynamodb:")


def test_a_prefix_that_is_not_s3_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not an s3://bucket/prefix"):
        iam_policy(
            region="us-east-1", table="T", streams=[], s3_prefixes=["/tmp/x"], emr_clusters=[]
        )


def test_a_ledger_table_of_its_own_and_read_only_tables_get_their_own_grants() -> None:
    policy = iam_policy(
        region="us-east-1",
        account="123456789012",
        table="Checkpoints",
        streams=["s"],
        s3_prefixes=["s3://stage/kiter"],
        emr_clusters=[],
        ledger_table="KiterLedger",
        read_tables=["AdCampaigns"],
    )
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["KiterCheckpointTable"]["Resource"] == [
        "arn:aws:dynamodb:us-east-1:123456789012:table/Checkpoints",
        "arn:aws:dynamodb:us-east-1:123456789012:table/KiterLedger",
    ]
    reads = by_sid["KiterReadTables"]
    assert reads["Resource"] == ["arn:aws:dynamodb:us-east-1:123456789012:table/AdCampaigns"]
    assert "dynamodb:PutItem" not in reads["Action"] and "dynamodb:Scan" in reads["Action"]
    s3_actions = {a for s in policy["Statement"] for a in s["Action"] if a.startswith("s3:")}
    assert "s3:DeleteObject" in s3_actions  # staging commits remove temporary objects


def test_the_checkpoint_table_may_be_updated_but_not_deleted() -> None:
    policy = iam_policy(region="us-east-1", table="T", streams=[], s3_prefixes=[], emr_clusters=[])
    actions = _by_sid(policy)["KiterCheckpointTable"]["Action"]
    # --update-capacity raises capacity and switches billing; deleting is an administrator's.
    assert "dynamodb:UpdateTable" in actions and "dynamodb:DeleteTable" not in actions


def test_a_cluster_looked_up_by_name_adds_list_clusters_on_star_only() -> None:
    by_id = iam_policy(
        region="us-east-1", table="T", streams=[], s3_prefixes=[], emr_clusters=["j-ABC"]
    )
    by_name = iam_policy(
        region="us-east-1", table="T", streams=[], s3_prefixes=[], emr_clusters=["*", "j-ABC"]
    )
    assert "KiterEmrLookup" not in _by_sid(by_id)
    lookup = _by_sid(by_name)["KiterEmrLookup"]
    assert (lookup["Action"], lookup["Resource"]) == (["elasticmapreduce:ListClusters"], "*")


def test_step_logs_are_read_only_and_listed_under_their_own_prefix() -> None:
    policy = iam_policy(
        region="us-east-1",
        table="T",
        streams=[],
        s3_prefixes=["s3://logs/kiter/scripts"],
        emr_clusters=["j-ABC"],
        emr_logs=[step_logs("s3://logs/emr/", "j-ABC")],
    )
    s = _by_sid(policy)
    assert s["KiterS3ReadLogs"]["Action"] == ["s3:GetObject"]
    assert s["KiterS3ReadLogs"]["Resource"] == ["arn:aws:s3:::logs/emr/j-ABC/steps/*"]
    assert s["KiterS3List0"]["Condition"]["StringLike"]["s3:prefix"] == [
        "emr/j-ABC/steps",
        "emr/j-ABC/steps/*",
        "kiter/scripts",
        "kiter/scripts/*",
    ]


@pytest.mark.parametrize(
    ("log_uri", "cluster", "folder"),
    [
        ("s3://logs/emr/", "j-ABC", "s3://logs/emr/j-ABC/steps/"),
        ("s3n://logs", "j-ABC", "s3://logs/j-ABC/steps/"),
        ("s3://logs/a/b", "j-*", "s3://logs/a/b/j-*/steps/"),
    ],
)
def test_step_logs_are_where_emr_pushes_them(log_uri: str, cluster: str, folder: str) -> None:
    assert step_logs(log_uri, cluster) == folder


@pytest.mark.parametrize("account", ["*", "123456789012", "000000000001"])
def test_an_account_is_twelve_digits_or_any(account: str) -> None:
    assert check_account(account) == account


def test_an_account_of_other_characters_is_a_usage_error_naming_the_option() -> None:
    with pytest.raises(UsageError, match=r"^--account '12-34' is not an AWS account id"):
        check_account("12-34")


def test_the_tables_jobs_name_for_the_connector_are_granted_like_the_projects() -> None:
    policy = iam_policy(
        region="us-east-1",
        account="123456789012",
        table="MyEMRKinesisTable",
        checkpoint_tables=["telescope-archive"],
        streams=[],
        s3_prefixes=[],
        emr_clusters=[],
    )
    assert _by_sid(policy)["KiterCheckpointTable"]["Resource"] == [
        "arn:aws:dynamodb:us-east-1:123456789012:table/MyEMRKinesisTable",
        "arn:aws:dynamodb:us-east-1:123456789012:table/telescope-archive",
    ]
