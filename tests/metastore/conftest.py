"""Fixtures for the metastore tests: fake credentials, a fresh moto DynamoDB per test, a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiter.aws import Aws, AwsSettings
from kiter.metastore.ledger import Ledger, Owner
from kiter.metastore.table import CheckpointTable
from kiter_support import FakeTime as FakeClock

TABLE = "MyEMRKinesisTable"
HASH, RANGE = "HashKey", "RangeKey"
START = 1_750_000_000.0  # 2025-06-15T15:06:40Z

# Items as the connector might write them: kiter must never touch or list these.
CONNECTOR_ITEMS = [
    {
        HASH: {"S": "mylogical"},
        RANGE: {"S": "shardId-000000000000"},
        "seq": {"S": "49590338271490256608559692538361571095921575989136588898"},
    },
    {HASH: {"S": "mylogical"}, RANGE: {"S": "shardId-000000000001"}, "iteration": {"N": "3"}},
    {HASH: {"S": "other"}, RANGE: {"S": "0000000001"}, "note": {"S": "looks like kiter's, is not"}},
]


@pytest.fixture
def ddb(in_process_moto: None) -> Any:
    """A DynamoDB client from kiter's own factory, against a fresh in-process moto."""
    return Aws(AwsSettings(region="us-east-1")).client("dynamodb")


@pytest.fixture
def table(ddb: Any) -> CheckpointTable:
    """The checkpoint table, created provisioned 10/10 like AWS's sample, with connector items."""
    checkpoint = CheckpointTable(ddb, TABLE, HASH, RANGE)
    checkpoint.create(on_demand=False, read=10, write=10, progress=lambda _line: None)
    for item in CONNECTOR_ITEMS:
        ddb.put_item(TableName=TABLE, Item=item)
    return checkpoint


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START, sleep_advances=False)


@pytest.fixture
def make_ledger(ddb: Any, table: CheckpointTable, clock: FakeClock) -> Callable[..., Ledger]:
    """Ledgers over the same table and clock, one per simulated process."""

    def make(host: str = "alpha", pid: int = 101, run_id: str = "run-a", **kw: Any) -> Ledger:
        kw.setdefault("lease_seconds", 300)
        return Ledger(
            ddb,
            TABLE,
            HASH,
            RANGE,
            owner=Owner(host, pid, run_id),
            clock=clock,
            sleep=clock.sleep,
            **kw,
        )

    return make


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()


def connector_items(ddb: Any) -> list[dict[str, Any]]:
    """The items in the table whose hash key is not kiter's, sorted."""
    items = ddb.scan(TableName=TABLE)["Items"]
    mine = [i for i in items if not i[HASH]["S"].startswith("kiter#")]
    return sorted(mine, key=lambda i: (i[HASH]["S"], i[RANGE]["S"]))
