"""The local moto server's memory relief, against moto 5.2.5 (pinned): canaries and behaviour.

The canaries fail when moto's internals change, so an upgrade cannot silently bring the leak back.
"""

from __future__ import annotations

import copy
import gc
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.common_models import BaseModel
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.kinesis.models import Shard

from kiter.local import motodynamodb, motorelief, motoserver

from .conftest import make_table

pytestmark = pytest.mark.functional
REGION = "us-east-1"
_ORIGINAL_NEW = BaseModel.__dict__["__new__"]
_SHARD_METHODS = ("get_max_sequence_number", "get_min_sequence_number", "get_records")


@pytest.fixture(autouse=True)
def moto_restored() -> Iterator[None]:
    """Each test leaves moto as it found it (the patches are process-wide)."""
    saved = {name: Shard.__dict__[name] for name in _SHARD_METHODS}
    dynamodb = motodynamodb.installed()
    warnings.simplefilter("ignore", ResourceWarning)
    yield
    BaseModel.__new__ = _ORIGINAL_NEW  # type: ignore[method-assign]
    for name, function in saved.items():
        setattr(Shard, name, function)
    (motodynamodb.install if dynamodb else motodynamodb.uninstall)()


def an_item(n: int) -> Item:
    return Item(DynamoType({"S": "h"}), DynamoType({"S": str(n)}), {"v": {"N": str(n)}})


def table_with_items(n: int) -> Any:
    ddb = boto3.client("dynamodb", region_name=REGION)
    make_table(ddb)
    for i in range(n):
        ddb.put_item(TableName="t", Item={"h": {"S": "x"}, "r": {"S": f"{i:05d}"}})
    return ddb


def transact(ddb: Any, value: str, condition: str = "attribute_exists(h)") -> None:
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"h": {"S": "x"}, "r": {"S": f"{i:05d}"}},
                    "UpdateExpression": "SET v = :v",
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": {":v": {"S": value}},
                }
            }
            for i in (0, 1)
        ]
    )


def test_canary_moto_still_tracks_every_model_object_and_its_copies() -> None:
    assert "__new__" in BaseModel.__dict__
    before = len(Item.instances_tracked)  # type: ignore[attr-defined]
    copy.deepcopy(an_item(1))
    assert len(Item.instances_tracked) == before + 2  # type: ignore[attr-defined]


def test_canary_moto_shards_number_records_one_two_three() -> None:
    shard = Shard(0, 0, 2**128)
    shard.put_record("pk", "ZGF0YQ==", "")
    shard.put_record("pk", "ZGF0YQ==", "")
    assert list(shard.records) == [1, 2]
    assert all(name in Shard.__dict__ for name in _SHARD_METHODS)


def test_with_tracking_off_no_copy_of_the_ledger_outlives_its_request() -> None:
    motorelief.clear_model_registry()  # what earlier tests left tracked
    motorelief.stop_model_tracking()
    with mock_aws():
        ddb = table_with_items(50)
        before = motorelief.registry_size()
        for k in range(10):
            transact(ddb, str(k))
            ddb.query(
                TableName="t",
                KeyConditionExpression="h = :h",
                Limit=3,
                ExpressionAttributeValues={":h": {"S": "x"}},
            )
        assert motorelief.registry_size() == before
        gc.collect()
        assert sum(type(o) is Table for o in gc.get_objects()) == 1
        assert sum(type(o) is Item for o in gc.get_objects()) == 50
        with pytest.raises(ddb.exceptions.TransactionCanceledException):
            transact(ddb, "lost", condition="attribute_not_exists(h)")
        item = ddb.get_item(TableName="t", Key={"h": {"S": "x"}, "r": {"S": "00000"}})["Item"]
        assert item["v"] == {"S": "9"}  # the cancelled transaction still rolled back


def test_kinesis_reads_after_the_patch_return_what_moto_returned() -> None:
    motorelief.patch_kinesis_shard()
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="s", ShardCount=1)
        shard_id = kinesis.list_shards(StreamName="s")["Shards"][0]["ShardId"]
        numbers = [
            kinesis.put_record(StreamName="s", Data=b"x%d" % i, PartitionKey="p")["SequenceNumber"]
            for i in range(10)
        ]
        assert numbers == [str(i) for i in range(1, 11)]
        iterator = kinesis.get_shard_iterator(
            StreamName="s",
            ShardId=shard_id,
            StartingSequenceNumber="4",
            ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        )["ShardIterator"]
        page = kinesis.get_records(ShardIterator=iterator, Limit=3)
        assert [r["Data"] for r in page["Records"]] == [b"x4", b"x5", b"x6"]
        page = kinesis.get_records(ShardIterator=page["NextShardIterator"])
        assert [r["SequenceNumber"] for r in page["Records"]] == ["8", "9", "10"]
        assert kinesis.get_records(ShardIterator=page["NextShardIterator"])["Records"] == []


def test_records_older_than_the_retention_are_trimmed_and_numbering_goes_on() -> None:
    motorelief.patch_kinesis_shard()
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="s", ShardCount=1)
        shard_id = kinesis.list_shards(StreamName="s")["Shards"][0]["ShardId"]
        for _ in range(5):
            kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="p")
        assert motorelief.trim_kinesis() == 0  # younger than the 24 h retention
        assert motorelief.trim_kinesis(now=time.time() + 25 * 3600) == 4  # keeps the newest
        put = kinesis.put_record(StreamName="s", Data=b"y", PartitionKey="p")
        assert put["SequenceNumber"] == "6"
        iterator = kinesis.get_shard_iterator(
            StreamName="s", ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = kinesis.get_records(ShardIterator=iterator)["Records"]
        assert [r["SequenceNumber"] for r in records] == ["5", "6"]


def test_old_cloudwatch_points_of_kinesis_puts_are_dropped() -> None:
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="s", ShardCount=1)
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="p")
        from moto.cloudwatch.models import cloudwatch_backends

        backend = cloudwatch_backends["123456789012"][REGION]
        assert len(backend.metric_data) == 2
        assert motorelief.trim_cloudwatch() == 0
        assert motorelief.trim_cloudwatch(now=time.time() + 4 * 3600) == 2


def test_the_local_server_relieves_moto_every_n_requests_under_its_lock() -> None:
    server = motoserver.make_server("127.0.0.1", 0)
    app: motoserver.OneAtATime = server.app
    assert BaseModel.__dict__["__new__"] is not _ORIGINAL_NEW  # install() ran
    assert motodynamodb.installed()
    calls: list[dict[str, int]] = []

    def relieve() -> None:
        assert app.lock.locked()
        calls.append(motorelief.relieve())

    app.between, app.every = relieve, 2
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ddb = boto3.client(
            "dynamodb", region_name=REGION, endpoint_url=f"http://127.0.0.1:{server.server_port}"
        )
        for _ in range(4):
            ddb.list_tables()
        assert len(calls) == 2 and set(calls[0]) == {"registry", "kinesis", "cloudwatch"}
    finally:
        server.shutdown()
        server.server_close()
