"""Snapshots of a DynamoDB dimension table for staged jobs, against moto."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest

from kiter.errors import ServiceError
from kiter.stream.snapshot import snapshot_table

pytestmark = pytest.mark.functional


@pytest.fixture
def dynamodb(in_process_moto: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="campaigns",
        KeySchema=[{"AttributeName": "campaign_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "campaign_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def test_snapshot_writes_sorted_tab_separated_lines_with_missing_as_null(dynamodb: Any):
    items = [
        {"campaign_id": {"S": "c3"}, "name": {"S": "Spring\tsale"}, "budget": {"N": "12.5"}},
        {"campaign_id": {"S": "c1"}, "name": {"S": "Launch"}, "active": {"BOOL": True}},
        {"campaign_id": {"S": "c2"}, "tags": {"SS": ["b", "a"]}, "name": {"NULL": True}},
    ]
    for item in items:
        dynamodb.put_item(TableName="campaigns", Item=item)
    out = io.BytesIO()
    count = snapshot_table(dynamodb, "campaigns", ["campaign_id", "name", "budget", "tags"], out)
    assert count == 3
    assert out.getvalue().decode().splitlines() == [
        "c1\tLaunch\t\\N\t\\N",
        'c2\t\\N\t\\N\t["a","b"]',
        "c3\tSpring\\tsale\t12.5\t\\N",
    ]


def test_snapshot_pages_through_a_table_larger_than_one_scan_page(dynamodb: Any):
    blob = "x" * 20_000  # ~50 items fill a 1 MB scan page
    for i in range(120):
        dynamodb.put_item(
            TableName="campaigns", Item={"campaign_id": {"S": f"c{i:03d}"}, "blob": {"S": blob}}
        )
    out = io.BytesIO()
    assert snapshot_table(dynamodb, "campaigns", ["campaign_id"], out) == 120
    assert out.getvalue().decode().splitlines() == [f"c{i:03d}" for i in range(120)]


def test_snapshot_of_a_missing_table_is_a_service_error(dynamodb: Any):
    with pytest.raises(ServiceError, match="nope"):
        snapshot_table(dynamodb, "nope", ["id"], io.BytesIO())
