"""DynamoDB plumbing for the rooms that keep items: attribute values, update bodies, paging, errors.

One table's worth of low-level calls with kiter's error handling: a lost conditional write is
`ConditionFailed` (with the index of the transaction item that failed, when DynamoDB says), a
missing table is `MissingTable` (a setup problem: exit 2 like any configuration error), any other
service error is kiter's `ServiceError`. This module knows nothing of
what the items mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from kiter.aws import error_code, region_of, service_error
from kiter.errors import MissingTable

# Placeholders in an expression: #name and :value.
_TOKEN = re.compile(r"[:#][A-Za-z0-9_]+")


def to_av(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB AttributeValue (boto3's serializer refuses floats)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"cannot store {value} in DynamoDB")
        return {"N": format(Decimal(repr(value)), "f")}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_av(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_av(v) for v in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def from_av(av: Mapping[str, Any]) -> Any:
    """A DynamoDB AttributeValue as Python (numbers as int where whole, else float)."""
    ((kind, value),) = av.items()
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "M":
        return {k: from_av(v) for k, v in value.items()}
    if kind == "L":
        return [from_av(v) for v in value]
    if kind == "NULL":
        return None
    return value  # S, BOOL (binary and sets are never written by kiter)


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: from_av(value) for name, value in item.items()}


class ConditionFailed(Exception):
    """A conditional write lost: someone else changed the items first.

    `failed` holds the positions of the transaction items whose condition failed (empty when
    DynamoDB did not say, or for a single write).
    """

    def __init__(self, action: str, failed: tuple[int, ...] = ()) -> None:
        super().__init__(action)
        self.failed = failed


def _tables_of(request: Mapping[str, Any]) -> list[str]:
    """The tables a request names (a transaction may name two: the ledger's and the binding's)."""
    names = [request.get("TableName", "")]
    for entry in request.get("TransactItems", []):
        names += [body.get("TableName", "") for body in entry.values()]
    names += list(request.get("RequestItems", {}))
    return sorted({n for n in names if n})


class Dynamo:
    """Calls on one table, with attribute names mapped once for every expression."""

    def __init__(self, client: Any, table: str, names: Mapping[str, str]) -> None:
        self.client = client
        self.table = table
        self.names = dict(names)  # "#placeholder" -> attribute name

    def names_for(self, *expressions: str) -> dict[str, str]:
        # DynamoDB rejects names that no expression uses, so pass only those that appear.
        used = set(_TOKEN.findall(" ".join(expressions)))
        return {k: v for k, v in self.names.items() if k in used}

    def call(self, verb: str, action: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, verb)(**kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ConditionalCheckFailedException":
                raise ConditionFailed(action) from exc
            if code == "TransactionCanceledException":
                reasons = [r.get("Code", "") for r in exc.response.get("CancellationReasons", [])]
                lost = {"ConditionalCheckFailed", "TransactionConflict"}
                if lost & set(reasons) or not reasons:
                    failed = tuple(
                        i for i, r in enumerate(reasons) if r == "ConditionalCheckFailed"
                    )
                    raise ConditionFailed(action, failed) from exc
            if code == "ResourceNotFoundException":
                raise MissingTable(*_tables_of(kwargs), region=region_of(self.client)) from exc
            raise service_error(exc, action) from exc
        except BotoCoreError as exc:
            raise service_error(exc, action) from exc

    def update(
        self,
        key: Mapping[str, Any],
        update: str,
        condition: str,
        values: Mapping[str, Any],
        *,
        table: str | None = None,
    ) -> dict[str, Any]:
        """One Update request body (for update_item or a TransactWriteItems entry)."""
        body: dict[str, Any] = {
            "TableName": table or self.table,
            "Key": dict(key),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": self.names_for(update, condition),
        }
        tokens = set(_TOKEN.findall(f"{update} {condition}"))
        used = {k: to_av(v) for k, v in values.items() if k in tokens}
        if used:
            body["ExpressionAttributeValues"] = used
        return body

    def update_item(self, action: str, body: Mapping[str, Any]) -> None:
        self.call("update_item", action, **body)

    def transact(self, action: str, *writes: Mapping[str, Any]) -> None:
        """Updates (bodies from `update`) and deletes ({"Delete": ...}) in one transaction."""
        items = [dict(w) if "Delete" in w else {"Update": dict(w)} for w in writes]
        self.call("transact_write_items", action, TransactItems=items)

    def get(self, action: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        out = self.call(
            "get_item", action, TableName=self.table, Key=dict(key), ConsistentRead=True
        )
        item: dict[str, Any] | None = out.get("Item")
        return item

    def get_many(self, action: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items of `keys` that exist (BatchGetItem, unprocessed keys asked again)."""
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        while keys and request:
            out = self.call("batch_get_item", action, RequestItems=request)
            found += out.get("Responses", {}).get(self.table, [])
            request = out.get("UnprocessedKeys") or {}
        return found

    def query(self, action: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Items of a Query, page after page (stop early by leaving the loop)."""
        yield from self._pages("query", action, {"TableName": self.table} | kwargs)

    def scan(self, action: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from self._pages("scan", action, {"TableName": self.table} | kwargs)

    def _pages(self, verb: str, action: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            out = self.call(verb, action, **args)
            yield from out.get("Items", [])
            if not out.get("LastEvaluatedKey"):
                return
            args = args | {"ExclusiveStartKey": out["LastEvaluatedKey"]}
