"""The checkpoint table: capacity formula, create in both billing modes, idempotency, mismatch."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from kiter.errors import ConfigError, ServiceError
from kiter.metastore.table import (
    CheckpointTable,
    TableInfo,
    billing_mismatch,
    capacity_shortfall,
    required_capacity,
)

from .conftest import HASH, RANGE, TABLE

functional = pytest.mark.functional


@pytest.mark.parametrize(
    ("jobs", "shards", "expected"),
    [((3), 4, (3, 12)), (1, 1, (1, 1)), (5, 1, (1, 5)), (2, 10, (4, 20)), (0, 8, (1, 1))],
)
def test_required_capacity_follows_emr_guidance_rounded_up(
    jobs: int, shards: int, expected: tuple[int, int]
) -> None:
    assert required_capacity(jobs, shards) == expected


@functional
@pytest.mark.parametrize(("jobs", "shards", "read", "write"), [(3, 4, 3, 12), (1, 1, 1, 1)])
def test_create_provisioned_uses_the_capacity_formula(
    ddb: Any, jobs: int, shards: int, read: int, write: int
) -> None:
    lines: list[str] = []
    r, w = required_capacity(jobs, shards)
    result = CheckpointTable(ddb, TABLE, HASH, RANGE).create(
        on_demand=False, read=r, write=w, progress=lines.append
    )
    assert result.present is False
    info = result.info
    assert (info.billing_mode, info.read, info.write) == ("PROVISIONED", read, write)
    assert (info.hash_key, info.hash_type, info.range_key, info.range_type) == (
        HASH,
        "S",
        RANGE,
        "S",
    )
    assert info.status == "ACTIVE"
    assert lines[0] == (f"creating table {TABLE} in us-east-1 ({read} read / {write} write units)")
    assert lines[-1] == f"table {TABLE} is ACTIVE"


@functional
def test_create_on_demand_has_no_provisioned_capacity(ddb: Any) -> None:
    result = CheckpointTable(ddb, TABLE, HASH, RANGE).create(
        on_demand=True, read=3, write=12, progress=lambda _l: None
    )
    assert result.info.billing_mode == "PAY_PER_REQUEST"
    assert result.info.on_demand
    assert (result.info.read, result.info.write) == (0, 0)
    assert capacity_shortfall(result.info, 100, 100) is None


@functional
def test_create_again_keeps_the_existing_table(ddb: Any) -> None:
    table = CheckpointTable(ddb, TABLE, HASH, RANGE)
    table.create(on_demand=False, read=3, write=12, progress=lambda _l: None)
    lines: list[str] = []
    again = table.create(on_demand=True, read=1, write=1, progress=lines.append)
    assert again.present is True
    # An existing table is accepted as it is: its billing mode and capacity are not changed.
    assert (again.info.billing_mode, again.info.read, again.info.write) == ("PROVISIONED", 3, 12)
    assert lines == [f"table {TABLE} exists (ACTIVE)"]


@functional
@pytest.mark.parametrize(
    ("hash_key", "range_key", "message"),
    [
        ("id", None, f"table {TABLE} has hash key 'id' (S), kiter.toml expects 'HashKey' (S)"),
        (
            HASH,
            "sort",
            f"table {TABLE} has range key 'sort' (S), kiter.toml expects 'RangeKey' (S)",
        ),
        (HASH, None, f"table {TABLE} has range key none, kiter.toml expects 'RangeKey' (S)"),
    ],
)
def test_create_refuses_a_table_with_another_key_schema_and_changes_nothing(
    ddb: Any, hash_key: str, range_key: str | None, message: str
) -> None:
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    attrs = [{"AttributeName": hash_key, "AttributeType": "S"}]
    if range_key:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
        attrs.append({"AttributeName": range_key, "AttributeType": "S"})
    ddb.create_table(
        TableName=TABLE,
        KeySchema=keys,
        AttributeDefinitions=attrs,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
    )
    before = ddb.describe_table(TableName=TABLE)["Table"]
    with pytest.raises(ConfigError, match="kiter.toml expects") as err:
        CheckpointTable(ddb, TABLE, HASH, RANGE).create(
            on_demand=True, read=1, write=1, progress=lambda _l: None
        )
    assert str(err.value) == message
    after = ddb.describe_table(TableName=TABLE)["Table"]
    assert after["KeySchema"] == before["KeySchema"]
    assert after["ProvisionedThroughput"] == before["ProvisionedThroughput"]
    assert after.get("BillingModeSummary") == before.get("BillingModeSummary")


@functional
def test_create_refuses_a_numeric_hash_key(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": HASH, "KeyType": "HASH"},
            {"AttributeName": RANGE, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": HASH, "AttributeType": "N"},
            {"AttributeName": RANGE, "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(ConfigError, match=r"hash key 'HashKey' \(N\), kiter.toml expects"):
        CheckpointTable(ddb, TABLE, HASH, RANGE).create(
            on_demand=True, read=1, write=1, progress=lambda _l: None
        )


@functional
def test_describe_reports_the_table_or_none(ddb: Any) -> None:
    table = CheckpointTable(ddb, TABLE, HASH, RANGE)
    assert table.describe() is None
    table.create(on_demand=False, read=10, write=10, progress=lambda _l: None)
    ddb.put_item(TableName=TABLE, Item={HASH: {"S": "a"}, RANGE: {"S": "b"}})
    info = table.describe()
    assert info is not None
    assert info.to_json()["read_capacity"] == 10
    assert info.item_count == 1
    assert info.arn.endswith(f":table/{TABLE}")


@functional
def test_update_capacity_raises_provisioned_units(table: CheckpointTable) -> None:
    info = table.update_capacity(3, 12)
    assert (info.read, info.write) == (3, 12)
    described = table.describe()
    assert described is not None and (described.read, described.write) == (3, 12)
    # Asking for what is already there is a no-op, not DynamoDB's "will not change" error.
    assert table.update_capacity(3, 12).write == 12


@functional
def test_update_capacity_switches_an_on_demand_table_to_provisioned(ddb: Any) -> None:
    table = CheckpointTable(ddb, TABLE, HASH, RANGE)
    table.create(on_demand=True, read=1, write=1, progress=lambda _l: None)
    info = table.update_capacity(4, 20)
    assert (info.billing_mode, info.read, info.write) == ("PROVISIONED", 4, 20)


@functional
def test_switch_to_on_demand_bills_a_provisioned_table_per_request_and_keeps_its_items(
    table: CheckpointTable,
) -> None:
    info = table.switch_to_on_demand()
    assert (info.billing_mode, info.read, info.write) == ("PAY_PER_REQUEST", 0, 0)
    described = table.describe()
    assert described is not None and described.on_demand and described.item_count == 3
    assert table.switch_to_on_demand().on_demand  # already on demand: nothing asked of DynamoDB


def test_a_billing_mode_other_than_asked_is_described_either_way() -> None:
    provisioned = TableInfo(TABLE, HASH, "S", RANGE, "S", "PROVISIONED", 5, 5, "ACTIVE", 0)
    on_demand = TableInfo(TABLE, HASH, "S", RANGE, "S", "PAY_PER_REQUEST", 0, 0, "ACTIVE", 0)
    assert billing_mismatch(provisioned, on_demand=True, read=0, write=0) == (
        f"table {TABLE} is billed PROVISIONED (5 read / 5 write units), "
        "not PAY_PER_REQUEST (on demand) as asked"
    )
    assert billing_mismatch(on_demand, on_demand=False, read=2, write=6) == (
        f"table {TABLE} is billed PAY_PER_REQUEST (on demand), "
        "not PROVISIONED at the 2 read / 6 write units asked for"
    )
    assert billing_mismatch(provisioned, on_demand=False, read=9, write=9) is None
    assert billing_mismatch(on_demand, on_demand=True, read=0, write=0) is None


@functional
def test_update_capacity_of_a_missing_table_is_a_config_error(ddb: Any) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        CheckpointTable(ddb, TABLE, HASH, RANGE).update_capacity(1, 1)


def test_capacity_shortfall_warns_only_below_the_formula() -> None:
    info = TableInfo(TABLE, HASH, "S", RANGE, "S", "PROVISIONED", 1, 1, "ACTIVE", 0)
    warning = capacity_shortfall(info, 3, 12)
    assert warning is not None
    assert "1 read / 1 write" in warning and "3 read / 12 write" in warning
    assert capacity_shortfall(info, 1, 1) is None


@functional
def test_delete_removes_the_table_and_reports_a_missing_one(table: CheckpointTable) -> None:
    lines: list[str] = []
    assert table.delete(lines.append, sleep=lambda _s: None) is True
    assert table.describe() is None
    assert lines[-1] == f"table {TABLE} deleted"
    assert table.delete(lines.append, sleep=lambda _s: None) is False


def _described(status: str) -> dict[str, Any]:
    return {
        "Table": {
            "TableName": TABLE,
            "TableStatus": status,
            "KeySchema": [
                {"AttributeName": HASH, "KeyType": "HASH"},
                {"AttributeName": RANGE, "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": HASH, "AttributeType": "S"},
                {"AttributeName": RANGE, "AttributeType": "S"},
            ],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            "ItemCount": 0,
        }
    }


def _stubbed() -> tuple[Any, Stubber]:
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return client, Stubber(client)


def test_create_waits_for_active_through_the_injected_sleep() -> None:
    # moto makes tables ACTIVE at once; a stub shows the CREATING phase real DynamoDB has.
    client, stub = _stubbed()
    stub.add_client_error("describe_table", "ResourceNotFoundException")
    stub.add_response("create_table", {})
    stub.add_response("describe_table", _described("CREATING"))
    stub.add_response("describe_table", _described("CREATING"))
    stub.add_response("describe_table", _described("ACTIVE"))
    slept: list[float] = []
    lines: list[str] = []
    with stub:
        result = CheckpointTable(client, TABLE, HASH, RANGE).create(
            on_demand=False, read=1, write=1, progress=lines.append, sleep=slept.append, poll=5
        )
    assert result.info.status == "ACTIVE"
    assert slept == [5, 5]
    assert lines.count(f"waiting for table {TABLE} (CREATING)") == 2


def test_create_gives_up_after_the_timeout() -> None:
    client, stub = _stubbed()
    stub.add_client_error("describe_table", "ResourceNotFoundException")
    stub.add_response("create_table", {})
    for _ in range(3):
        stub.add_response("describe_table", _described("CREATING"))
    with stub, pytest.raises(ServiceError, match="still CREATING after 10 s"):
        CheckpointTable(client, TABLE, HASH, RANGE).create(
            on_demand=False,
            read=1,
            write=1,
            progress=lambda _l: None,
            sleep=lambda _s: None,
            timeout=10,
            poll=5,
        )


def test_access_denied_becomes_a_service_error_with_the_aws_message() -> None:
    client, stub = _stubbed()
    stub.add_client_error(
        "describe_table", "AccessDeniedException", "not authorized to DescribeTable"
    )
    with stub, pytest.raises(ServiceError, match="AccessDeniedException") as err:
        CheckpointTable(client, TABLE, HASH, RANGE).describe()
    assert str(err.value) == (
        f"describe table {TABLE}: AccessDeniedException: not authorized to DescribeTable"
    )
