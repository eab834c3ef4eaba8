"""The local moto server's DynamoDB at the cost of what a request touches: canaries, answers, work.

The canaries fail when moto changes the code kiter.local.motodynamodb stands in for or relies on;
the answer tests run the same requests through moto as it is and through the relief and compare
everything DynamoDB says back; the work tests count moto's copies and comparisons (not time).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from kiter.local import motodynamodb

from .conftest import make_table

pytestmark = pytest.mark.functional
REGION = "us-east-1"

# moto 5.2.5's code, as motodynamodb was written against it (sha256 of the source, 16 digits).
MOTO_5_2_5 = {
    (DynamoDBBackend, "transact_write_items"): "81db2cb7d94e39c9",
    (Table, "query"): "002b4d00be6df07c",
    (Table, "all_items"): "c80d2ee3c896acd0",
    (Table, "put_item"): "de23933013ef8426",
    (Table, "delete_item"): "1594f7b07616c8cb",
    (Table, "get_item"): "b08e98fe37b7e583",
}


@pytest.fixture(autouse=True)
def moto_restored() -> Iterator[None]:
    """Each test leaves moto as it found it (the relief is process-wide)."""
    was = motodynamodb.installed()
    yield
    (motodynamodb.install if was else motodynamodb.uninstall)()


def digest(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def fill(ddb: Any, hash_value: str, count: int, name: str = "t") -> None:
    for i in range(count):
        ddb.put_item(
            TableName=name,
            Item={"h": {"S": hash_value}, "r": {"S": f"{i:04d}"}, "v": {"N": str(i)}},
        )


def key(hash_value: str, i: int | str) -> dict[str, Any]:
    r = i if isinstance(i, str) else f"{i:04d}"
    return {"h": {"S": hash_value}, "r": {"S": r}}


def update(hash_value: str, i: int, value: str, condition: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "TableName": "t",
        "Key": key(hash_value, i),
        "UpdateExpression": "SET v = :v",
        "ExpressionAttributeValues": {":v": {"S": value}},
    }
    if condition:
        body["ConditionExpression"] = condition
    return {"Update": body}


def everything(ddb: Any, name: str = "t") -> list[dict[str, Any]]:
    items = ddb.scan(TableName=name)["Items"]
    return sorted(items, key=lambda i: (i["h"]["S"], i["r"]["S"]))


def answer(call: Callable[[], Any]) -> Any:
    """What DynamoDB says back: the response, or the error with its cancellation reasons."""
    try:
        out = call()
    except ClientError as exc:
        return {k: exc.response.get(k) for k in ("Error", "CancellationReasons")}
    out.pop("ResponseMetadata", None)
    return out


def both_ways(scenario: Callable[[Any], Any]) -> tuple[Any, Any]:
    """The scenario against moto as it is, then against the relief, each on fresh state."""
    results = []
    for relieved in (False, True):
        (motodynamodb.install if relieved else motodynamodb.uninstall)()
        with mock_aws():
            ddb = boto3.client("dynamodb", region_name=REGION)
            make_table(ddb)
            make_table(ddb, "other", stream=True)
            fill(ddb, "x", 5)
            fill(ddb, "y", 3, "other")
            results.append(scenario(ddb))
    return results[0], results[1]


# ---- canaries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", list(MOTO_5_2_5), ids=lambda w: f"{w[0].__name__}.{w[1]}")
def test_canary_moto_code_the_relief_stands_in_for_is_still_5_2_5s(where: tuple[type, str]) -> None:
    owner, name = where
    original = motodynamodb.ORIGINALS.get(where, owner.__dict__[name])
    assert digest(original) == MOTO_5_2_5[where], (
        f"moto changed {owner.__name__}.{name}: re-read it against kiter.local.motodynamodb"
    )


def test_canary_moto_as_it_is_rolls_a_transaction_back_by_a_copy_of_the_whole_table() -> None:
    motodynamodb.uninstall()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        make_table(ddb)
        fill(ddb, "x", 3)
        before = dynamodb_backends["123456789012"][REGION].tables["t"]
        with pytest.raises(ClientError):
            ddb.transact_write_items(TransactItems=[update("x", 0, "a", "attribute_not_exists(h)")])
        assert dynamodb_backends["123456789012"][REGION].tables["t"] is not before


# ---- the same answers ------------------------------------------------------------------------


TRANSACTIONS: dict[str, list[dict[str, Any]]] = {
    "all succeed": [
        update("x", 0, "a", "attribute_exists(h)"),
        {"Put": {"TableName": "t", "Item": key("x", 9) | {"v": {"S": "new"}}}},
        {"Delete": {"TableName": "t", "Key": key("x", 1)}},
        {
            "ConditionCheck": {
                "TableName": "t",
                "Key": key("x", 2),
                "ConditionExpression": "v = :two",
                "ExpressionAttributeValues": {":two": {"N": "2"}},
            }
        },
    ],
    "a late condition fails": [
        {"Put": {"TableName": "t", "Item": key("x", 9) | {"v": {"S": "new"}}}},
        update("x", 0, "a"),
        {"Delete": {"TableName": "t", "Key": key("x", 1)}},
        {"Put": {"TableName": "other", "Item": key("y", 7)}},
        update("x", 3, "b", "attribute_not_exists(h)"),
    ],
    "the old item asked back": [
        update("x", 0, "a"),
        update("x", 3, "b", "attribute_not_exists(h)"),
    ],
    "two operations on one item": [
        update("x", 0, "a"),
        {"Put": {"TableName": "t", "Item": key("x", 8)}},
        update("x", 0, "b"),
    ],
    "a table that does not exist": [
        update("x", 0, "a"),
        {"Put": {"TableName": "missing", "Item": key("x", 1)}},
    ],
    "an update that cannot apply": [
        update("x", 0, "a"),
        {
            "Update": {
                "TableName": "t",
                "Key": key("x", 1),
                "UpdateExpression": "SET v = v + :n",
                "ExpressionAttributeValues": {":n": {"N": "1"}},
            }
        },
        {
            "Update": {
                "TableName": "t",
                "Key": key("x", 2),
                "UpdateExpression": "SET v = :s + :n",
                "ExpressionAttributeValues": {":s": {"S": "text"}, ":n": {"N": "1"}},
            }
        },
    ],
}
TRANSACTIONS["the old item asked back"][1]["Update"]["ReturnValuesOnConditionCheckFailure"] = (
    "ALL_OLD"
)


@pytest.mark.parametrize("name", list(TRANSACTIONS))
def test_a_transaction_answers_and_leaves_the_tables_as_moto_does(name: str) -> None:
    def scenario(ddb: Any) -> Any:
        said = answer(lambda: ddb.transact_write_items(TransactItems=TRANSACTIONS[name]))
        stream = dynamodb_backends["123456789012"][REGION].tables["other"].stream_shard
        return said, everything(ddb), everything(ddb, "other"), len(stream.items)

    as_is, relieved = both_ways(scenario)
    assert relieved == as_is


EMPTY = {"h = :h AND r BETWEEN :b AND :a", "h = :nobody"}  # queries no item answers
QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "h = :h", "Limit": 3, "ScanIndexForward": False},
    {"KeyConditionExpression": "h = :h", "Limit": 4},
    {"KeyConditionExpression": "h = :h"},
    {"KeyConditionExpression": "h = :h AND r BETWEEN :a AND :b", "Limit": 5},
    {
        "KeyConditionExpression": "h = :h AND r BETWEEN :a AND :b",
        "ScanIndexForward": False,
        "Limit": 2,
    },
    {"KeyConditionExpression": "h = :h AND r BETWEEN :b AND :a"},
    {"KeyConditionExpression": "h = :h AND r < :b", "Limit": 4, "ScanIndexForward": False},
    {"KeyConditionExpression": "h = :h AND r <= :b", "Limit": 7},
    {"KeyConditionExpression": "h = :h AND r > :a", "Limit": 6},
    {"KeyConditionExpression": "h = :h AND r >= :a", "Limit": 6, "ScanIndexForward": False},
    {"KeyConditionExpression": "h = :h AND r = :a"},
    {"KeyConditionExpression": "h = :h AND begins_with(r, :p)", "Limit": 3},
    {"KeyConditionExpression": "h = :h", "Limit": 4, "FilterExpression": "v > :n"},
    {"KeyConditionExpression": "h = :h", "Limit": 3, "ProjectionExpression": "r"},
    {"KeyConditionExpression": "h = :nobody", "Limit": 3},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q["KeyConditionExpression"])
def test_a_query_pages_through_the_same_items_as_moto_does(query: dict[str, Any]) -> None:
    def scenario(ddb: Any) -> Any:
        fill(ddb, "z", 40)
        # Keys and items coming and going, also through a cancelled transaction.
        ddb.delete_item(TableName="t", Key=key("z", 7))
        ddb.put_item(TableName="t", Item=key("z", "0007a") | {"v": {"N": "70"}})
        answer(
            lambda: ddb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "t", "Item": key("z", "0020a")}},
                    {"Delete": {"TableName": "t", "Key": key("z", 21)}},
                    update("z", 22, "lost", "attribute_not_exists(h)"),
                ]
            )
        )
        values = {
            ":h": {"S": "z"},
            ":a": {"S": "0012"},
            ":b": {"S": "0031"},
            ":p": {"S": "001"},
            ":n": {"N": "20"},
            ":nobody": {"S": "nobody"},
        }
        expression = " ".join(str(v) for v in query.values())
        request = query | {
            "TableName": "t",
            "ExpressionAttributeValues": {k: v for k, v in values.items() if k in expression},
        }
        pages = []
        while True:
            page = answer(lambda: ddb.query(**request))
            pages.append(page)
            if not isinstance(page, dict) or "LastEvaluatedKey" not in page:
                return pages
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    as_is, relieved = both_ways(scenario)
    assert relieved == as_is
    found = [item for page in relieved for item in page.get("Items", [])]
    assert bool(found) == (query["KeyConditionExpression"] not in EMPTY)


# ---- the work done ---------------------------------------------------------------------------


def counting(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[int]:
    """Count the calls of one of moto's methods."""
    calls = [0]
    original = owner.__dict__[name]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_transaction_copies_as_many_items_in_a_big_table_as_in_a_small_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    motodynamodb.install()
    copies = counting(monkeypatch, Item, "__deepcopy__")
    counts = []
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        make_table(ddb)
        for size in (10, 300):
            fill(ddb, "x", size)
            copies[0] = 0
            ddb.transact_write_items(TransactItems=[update("x", 0, "a"), update("x", 1, "b")])
            with pytest.raises(ClientError):
                ddb.transact_write_items(
                    TransactItems=[update("x", 0, "c"), update("x", 1, "d", "v = :v AND v <> :v")]
                )
            counts.append(copies[0])
        assert ddb.get_item(TableName="t", Key=key("x", 0))["Item"]["v"] == {"S": "a"}
    assert counts[0] == counts[1] <= 8


def test_a_limited_query_compares_as_many_keys_with_a_long_history_as_with_a_short_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    motodynamodb.install()
    comparisons = counting(monkeypatch, DynamoType, "__lt__")
    counts = []
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        make_table(ddb)
        fill(ddb, "other", 50)
        for size in (10, 300):
            fill(ddb, "x", size)
            comparisons[0] = 0
            page = ddb.query(
                TableName="t",
                KeyConditionExpression="h = :h",
                ExpressionAttributeValues={":h": {"S": "x"}},
                ScanIndexForward=False,
                Limit=3,
            )
            assert [i["r"]["S"] for i in page["Items"]] == [
                f"{n:04d}" for n in (size - 1, size - 2, size - 3)
            ]
            counts.append(comparisons[0])
    assert counts[0] == counts[1] <= 10
