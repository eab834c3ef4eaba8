"""The built-in staged jobs run for real: moto (Kinesis, DynamoDB) in process, Spark's HiveServer2.

Checks the library's DDL and queries on a real engine, beyond what the offline linter can say:
the customer-engagement join against a staged snapshot of the campaign table, and the Parquet
load of each iteration for interactive queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from kiter.aws import Aws, AwsSettings
from kiter.local.traffic import Traffic, parse, put_lines
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable
from kiter.project import TargetConfig, load_project
from kiter.render import Renderer
from kiter.runner import Runner

from .conftest import ThriftServer

pytestmark = pytest.mark.integration

PROJECT = """\
[staging]
location = "{staging}"

[targets.spark]
kind = "hiveserver2"
host = "127.0.0.1"
port = {port}

[jobs.engagement]
engine = "hive"
template = "engagement.hql.j2"
stream = "clicks"
logical_name = "engagement-{unique}"
target = "spark"
mode = "staged"
campaign_table = "AdCampaigns"

[jobs.load]
engine = "hive"
template = "load_iteration.hql.j2"
stream = "weblogs"
logical_name = "load-{unique}"
target = "spark"
mode = "staged"
vars = {{ warehouse = "{warehouse}", table = "weblogs_{unique}" }}
"""


@pytest.fixture
def runner(
    thrift_server: ThriftServer, tmp_path: Path, unique: str, in_process_moto: None
) -> Iterator[Runner]:
    (tmp_path / "kiter.toml").write_text(
        PROJECT.format(
            staging=tmp_path / "staging",
            port=thrift_server.port,
            unique=unique,
            warehouse=(tmp_path / "warehouse").as_uri(),
        )
    )
    project = load_project(tmp_path / "kiter.toml", env={})
    aws = Aws(AwsSettings(region="us-east-1"))
    CheckpointTable(aws.client("dynamodb"), "MyEMRKinesisTable", "HashKey", "RangeKey").create(
        on_demand=True, read=0, write=0, progress=lambda _l: None
    )
    ledger = Ledger(
        aws.client("dynamodb"),
        "MyEMRKinesisTable",
        "HashKey",
        "RangeKey",
        owner=Owner.current(),
    )

    def make_target(config: TargetConfig, echo: Any) -> Any:
        return thrift_server.target()

    yield Runner(
        project, aws=aws, renderer=Renderer(project), ledger=ledger, make_target=make_target
    )


def test_engagement_joins_the_iterations_clicks_with_a_staged_campaign_snapshot(
    runner: Runner,
) -> None:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="AdCampaigns",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "AdId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "AdId", "AttributeType": "S"}],
    )
    for ad, category in (("a1", "sports"), ("a2", "travel"), ("a3", "food")):
        dynamodb.put_item(
            TableName="AdCampaigns",
            Item={
                "AdId": {"S": ad},
                "Category": {"S": category},
                "Campaign": {"S": f"winter-{ad}"},
            },
        )
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    kinesis.create_stream(StreamName="clicks", ShardCount=2)
    # (site, ad, views, clicks): s1 sports 0.5, travel 0.2, food 0.1; s2 travel 0.8, sports 0.25
    plan = [
        ("s1", "a1", 10, 5),
        ("s1", "a2", 10, 2),
        ("s1", "a3", 10, 1),
        ("s2", "a2", 5, 4),
        ("s2", "a1", 4, 1),
    ]
    lines = [
        f"2026-11-25T18:00:{n % 60:02d}Z\tu{n}\t{site}\t{ad}\t{action}"
        for site, ad, views, clicks in plan
        for n, action in enumerate(["view"] * views + ["click"] * clicks)
    ]
    put_lines(kinesis, "clicks", lines)

    result = runner.run(runner.project.job("engagement"), runner.project.targets["spark"])

    assert result.read is not None and result.read.total_records == len(lines)
    rows = [tuple(row) for row in result.outcome.rows]
    assert result.outcome.columns == ["site", "category", "views", "clicks", "ctr", "rank_on_site"]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [
        ("s1", "sports", 10, 5, 1),
        ("s1", "travel", 10, 2, 2),
        ("s1", "food", 10, 1, 3),
        ("s2", "travel", 5, 4, 1),
        ("s2", "sports", 4, 1, 2),
    ]
    assert [r[4] for r in rows] == pytest.approx([0.5, 0.2, 0.1, 0.8, 0.25])


def test_load_iteration_fills_one_parquet_partition_per_iteration(runner: Runner) -> None:
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    kinesis.create_stream(StreamName="weblogs", ShardCount=2)
    traffic = Traffic(seed=11)
    job, target = runner.project.job("load"), runner.project.targets["spark"]
    for iteration, count in ((0, 120), (1, 45)):
        lines = traffic.lines(count)
        put_lines(kinesis, "weblogs", lines)
        result = runner.run(job, target)
        parsed = [parse(line) for line in lines]
        total_bytes = sum(int(p["bytes"]) for p in parsed if p and p["bytes"] != "-")
        assert result.outcome.columns == ["iteration", "records", "bytes"]
        assert [tuple(r) for r in result.outcome.rows] == [(iteration, count, total_bytes)]
