"""Make the local moto server's DynamoDB cost what a request touches, not the whole table.

Written against moto 5.2.5 (pinned in pyproject.toml); tests/local/test_motodynamodb.py holds
canaries (digests of the moto functions this module stands in for or relies on) that fail when
moto changes them, and checks the answers against moto's own on the same requests.

What moto 5.2.5 does in O(table), and what this module does instead (the ledger's claim, heartbeat
and succeed are transactions, and its claim starts with a Query, so both grew with history: 6.4 s
an iteration at 3,000 items):

1. ``DynamoDBBackend.transact_write_items`` deep-copies every table the transaction names before
   it starts, to put the copies back when an operation fails (a condition, a validation). This
   module's version is moto's, step for step, except for what it keeps for that rollback: a copy of
   each item an operation is about to change (or a note that it did not exist), and the length of
   the table's stream; a cancelled transaction puts back exactly those.

2. ``Table.query`` gathers its candidates through ``Table.all_items()``, which sorts every item of
   the table, then sorts the hash key's items again and walks them from the first. This module
   keeps each hash key's range keys sorted as moto compares them (``cast_value``), updated by
   ``Table.put_item`` and ``Table.delete_item`` and rebuilt when it no longer matches the items;
   a query on the table's own key with no range condition or one of =, <, <=, >, >=, BETWEEN hands
   moto's own query loop only the items its limit and start key can reach (plus the next one, so
   moto still says whether there is more). Index queries, begins_with and the legacy KeyConditions
   filters go to moto unchanged.

What it must not do: change an answer. Whatever it cannot bound exactly is moto's own code.
Call ``install()`` once before serving (``kiter.local.motorelief.install`` does).
"""

from __future__ import annotations

import copy
import inspect
import threading
from bisect import bisect_left, bisect_right
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

# What install() replaces, as moto defines it (KeyError here: moto moved one of them).
ORIGINALS: dict[tuple[type, str], Any] = {
    (DynamoDBBackend, "transact_write_items"): DynamoDBBackend.__dict__["transact_write_items"],
    (Table, "query"): Table.__dict__["query"],
    (Table, "all_items"): Table.__dict__["all_items"],
    (Table, "put_item"): Table.__dict__["put_item"],
    (Table, "delete_item"): Table.__dict__["delete_item"],
}
_INDEX = "_kiter_sorted_ranges"  # a Table's {hash key: _Ranges}, in its __dict__
_BOUNDS = {"=", "EQ", "<", "LT", "<=", "LE", ">", "GT", ">=", "GE", "BETWEEN"}
_QUERY = inspect.signature(ORIGINALS[Table, "query"])
_windows = threading.local()  # the items all_items() hands the query running on this thread


# ---- each hash key's range keys, sorted --------------------------------------------------------


class _Ranges:
    """The range keys of one hash key's items, sorted as moto sorts them (by ``cast_value``)."""

    __slots__ = ("hash_set", "keys", "values")

    def __init__(self, hash_set: dict[DynamoType, Any]) -> None:
        self.hash_set = hash_set
        self.keys: list[DynamoType] = sorted(hash_set, key=lambda k: k.cast_value)
        self.values: list[Any] = [k.cast_value for k in self.keys]

    def add(self, key: DynamoType) -> None:
        value = key.cast_value
        at = bisect_left(self.values, value)
        if at == len(self.values) or self.values[at] != value:
            self.values.insert(at, value)
            self.keys.insert(at, key)

    def discard(self, key: DynamoType) -> None:
        value = key.cast_value
        at = bisect_left(self.values, value)
        if at < len(self.values) and self.values[at] == value:
            del self.values[at], self.keys[at]


def _ranges(table: Any, hash_key: DynamoType) -> _Ranges | None:
    """The sorted range keys of `hash_key`'s items, rebuilt when they no longer match the items
    (moto replaced the set, or changed it some way other than put_item and delete_item)."""
    hash_set = table.items.get(hash_key)  # .get: moto's defaultdict would add an empty set
    if not isinstance(hash_set, dict):
        return None
    index = table.__dict__.setdefault(_INDEX, {})
    entry = index.get(hash_key)
    if entry is None or entry.hash_set is not hash_set or len(entry.keys) != len(hash_set):
        entry = index[hash_key] = _Ranges(hash_set)
    return entry


def _note(table: Any, hash_key: DynamoType, range_key: DynamoType, *, present: bool) -> None:
    """Keep an index of `hash_key`'s range keys in step with one item coming or going."""
    entry = table.__dict__.get(_INDEX, {}).get(hash_key)
    if entry is None or entry.hash_set is not table.items.get(hash_key):
        return  # none yet, or of a set moto replaced: the next query builds it
    if present:
        entry.add(range_key)
    else:
        entry.discard(range_key)


def _put_item(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    item = ORIGINALS[Table, "put_item"](self, item_attrs, *args, **kwargs)
    if self.range_key_attr is not None:
        _note(self, item.hash_key, item.range_key, present=True)
    return item


def _delete_item(self: Any, hash_key: DynamoType, range_key: DynamoType | None) -> Any:
    item = ORIGINALS[Table, "delete_item"](self, hash_key, range_key)
    if item is not None and range_key is not None:
        _note(self, hash_key, range_key, present=False)
    return item


# ---- queries --------------------------------------------------------------------------------


def _all_items(self: Any) -> list[Any]:
    window = getattr(_windows, "by_table", {}).get(id(self))
    return window if window is not None else ORIGINALS[Table, "all_items"](self)


def _window(
    table: Any,
    hash_key: DynamoType,
    comparison: str | None,
    bounds: list[DynamoType],
    limit: int | None,
    start_key: dict[str, Any] | None,
    forward: bool,
) -> list[Any] | None:
    """The items moto's query loop can reach, in key order; None when only moto can tell."""
    ranges = _ranges(table, hash_key)
    if ranges is None:
        return []
    values, n = ranges.values, len(ranges.values)
    lo, hi = 0, n  # the items the range condition keeps: values[lo:hi]
    if comparison is not None:
        op = comparison.upper()
        if op not in _BOUNDS or len(bounds) != (2 if op == "BETWEEN" else 1):
            return None
        first = bounds[0].cast_value
        if op in ("=", "EQ", "BETWEEN"):
            lo = bisect_left(values, first)
            hi = bisect_right(values, bounds[-1].cast_value)
        elif op in ("<", "LT"):
            hi = bisect_left(values, first)
        elif op in ("<=", "LE"):
            hi = bisect_right(values, first)
        elif op in (">", "GT"):
            lo = bisect_right(values, first)
        else:
            lo = bisect_left(values, first)
    if start_key:
        start_hash = start_key.get(table.hash_key_attr)
        start_range = start_key.get(table.range_key_attr)
        if start_hash is None or start_range is None or DynamoType(start_hash) != hash_key:
            return None
        after = DynamoType(start_range).cast_value
        if forward:
            lo = max(lo, bisect_right(values, after))
        else:
            hi = min(hi, bisect_left(values, after))
    if lo >= hi:
        return []
    if forward:
        stop = hi if limit is None else min(hi, lo + limit)
        keys = ranges.keys[lo : stop + 1]  # + the next item: moto then says there is more
    else:
        stop = lo if limit is None else max(lo, hi - limit)
        keys = ranges.keys[max(stop - 1, 0) : hi]
    return [ranges.hash_set[k] for k in keys]


def _query(self: Any, *args: Any, **kwargs: Any) -> Any:
    moto = ORIGINALS[Table, "query"]
    asked = _QUERY.bind(self, *args, **kwargs).arguments
    window = None
    if (
        asked.get("index_name") is None
        and not asked.get("filter_kwargs")  # the legacy QueryFilter: moto's
        and asked["hash_key"] is not None
        and self.range_key_attr is not None
        and len(asked.get("range_key_conditions") or ()) <= 1
    ):
        window = _window(
            self,
            asked["hash_key"],
            asked["range_comparison"],
            asked["range_objs"],
            asked["limit"],
            asked["exclusive_start_key"],
            asked["scan_index_forward"],
        )
    if window is None:
        return moto(self, *args, **kwargs)
    by_table = _windows.__dict__.setdefault("by_table", {})
    by_table[id(self)] = window
    try:
        return moto(self, *args, **kwargs)
    finally:
        del by_table[id(self)]


# ---- transactions ---------------------------------------------------------------------------


class _Undo:
    """What a transaction changed, item by item, to put back when it is cancelled."""

    def __init__(self) -> None:
        self.kept: list[tuple[Any, DynamoType, DynamoType | None, Any]] = []
        self.streams: dict[int, tuple[Any, Any, int]] = {}

    def keep(self, backend: Any, table_name: str, key: dict[str, Any], current: Any) -> None:
        """Before an operation changes the item at `key` (`current`, None when there is none)."""
        table = backend.get_table(table_name)
        hash_key, range_key = backend.get_keys_value(table, key)
        self.kept.append((table, hash_key, range_key, copy.deepcopy(current)))
        shard = table.stream_shard
        if shard is not None and id(table) not in self.streams:
            self.streams[id(table)] = (table, shard, len(shard.items))

    def restore(self) -> None:
        for table, hash_key, range_key, before in reversed(self.kept):
            if range_key is None:
                if before is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = before
                continue
            if before is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = before
            _note(table, hash_key, range_key, present=before is not None)
        for table, shard, length in self.streams.values():
            if table.stream_shard is shard:
                del shard.items[length:]


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's DynamoDBBackend.transact_write_items, rolled back item by item.

    The same checks, operations, errors and cancellation reasons in the same order; instead of a
    deep copy of each table named, `_Undo` keeps each item just before an operation changes it.
    One difference: an entry with two operations is refused after the entries before it were
    rolled back (moto's raises with them applied).
    """
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = _Undo()
    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            undo.restore()
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            check_unicity(table_name, key)
            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            if op_type != "ConditionCheck":
                undo.keep(self, table_name, key, current)
            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            undo.restore()
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # moto reports any other failure as the entry's reason
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]
    if any(code is not None for code, _, _ in errors):
        undo.restore()
        raise TransactionCanceledException(errors)


# ---- switching it on and off ----------------------------------------------------------------

_REPLACEMENTS: dict[tuple[type, str], Any] = {
    (DynamoDBBackend, "transact_write_items"): _transact_write_items,
    (Table, "query"): _query,
    (Table, "all_items"): _all_items,
    (Table, "put_item"): _put_item,
    (Table, "delete_item"): _delete_item,
}


def install() -> None:
    """From now on, transactions and queries cost what they touch."""
    for (owner, name), function in _REPLACEMENTS.items():
        setattr(owner, name, function)


def uninstall() -> None:
    """moto as it is (bench/ledger.py's before picture; tests)."""
    for (owner, name), function in ORIGINALS.items():
        setattr(owner, name, function)


def installed() -> bool:
    return all(owner.__dict__[name] is f for (owner, name), f in _REPLACEMENTS.items())
