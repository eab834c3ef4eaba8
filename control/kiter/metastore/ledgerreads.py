"""Reading the ledger: one iteration, a head, a history page by page, a summary of the table.

Every Query names a `kiter#` hash key and reads a bounded key range (the head and the two newest
iterations; history a page at a time); the one Scan (`summary`, `any_running`) filters on the
prefix and skips range keys that are not kiter's. Reads are consistent: a claim decides on them.
This part writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kiter.metastore.dynamo import to_av
from kiter.metastore.items import HEAD, HIGH, LOW, STATES
from kiter.metastore.ledgertable import LedgerTable
from kiter.metastore.records import Head, IterationRecord, Lease


class LedgerReads:
    """The ledger's reads, on the table the ledger hands it."""

    def __init__(self, table: LedgerTable) -> None:
        self.table = table
        self.db = table.db  # the table's own, not copies
        self.items = table.items

    def top(self, logical: str) -> tuple[Head | None, dict[int, dict[str, Any]]]:
        """The head item and the two highest-numbered iteration items, in one Query."""
        out = self.db.call(
            "query",
            f"read the ledger of {logical}",
            TableName=self.table.name,
            KeyConditionExpression="#hk = :h",
            ExpressionAttributeNames=self.db.names_for("#hk"),
            ExpressionAttributeValues={":h": self.items.hash_value(logical)},
            ScanIndexForward=False,
            Limit=3,
            ConsistentRead=True,
        )
        head = None
        items: dict[int, dict[str, Any]] = {}
        for item in out.get("Items", []):
            which = self.items.range_of(item)
            if which == HEAD:
                head = self.items.parse_head(logical, item)
            elif self.items.is_iteration_key(which):
                items[int(which)] = item
        return head, items

    def get_many(self, logical: str, numbers: list[int]) -> dict[int, dict[str, Any]]:
        keys = [self.items.item_key(logical, n) for n in numbers if n >= 0]
        found = self.db.get_many(f"read the ledger of {logical}", keys)
        return {int(self.items.range_of(item)): item for item in found}

    def get(self, logical: str, n: int) -> IterationRecord | None:
        """Iteration `n` of `logical`, or None when it was never claimed."""
        self.items.check_logical(logical)
        item = self.db.get(f"read iteration {n} of {logical}", self.items.item_key(logical, n))
        return self.items.parse_record(logical, item) if item else None

    def head(self, logical: str) -> Head | None:
        """The head of `logical` (next iteration, first iteration, lease), None before any claim."""
        self.items.check_logical(logical)
        item = self.db.get(f"read the ledger of {logical}", self.items.key(logical, HEAD))
        return self.items.parse_head(logical, item) if item else None

    def lease(self, logical: str) -> Lease | None:
        """The lease the head item of `logical` records (live or expired), if any."""
        head = self.head(logical)
        return head.lease if head else None

    def history(
        self, logical: str, *, newest_first: bool = False, limit: int | None = None
    ) -> list[IterationRecord]:
        """Iterations of `logical`, oldest first (or the newest `limit`, newest first)."""
        self.items.check_logical(logical)
        records: list[IterationRecord] = []
        for item in self._iteration_items(logical, newest_first=newest_first, page=limit):
            records.append(self.items.parse_record(logical, item))
            if limit is not None and len(records) >= limit:
                break
        return records

    def _iteration_items(
        self, logical: str, *, newest_first: bool = False, page: int | None = None
    ) -> Iterator[dict[str, Any]]:
        args: dict[str, Any] = {
            "KeyConditionExpression": "#hk = :h AND #rk BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": self.db.names_for("#hk #rk"),
            "ExpressionAttributeValues": {
                ":h": self.items.hash_value(logical),
                ":lo": {"S": LOW},
                ":hi": {"S": HIGH},
            },
            "ConsistentRead": True,
            "ScanIndexForward": not newest_first,
        }
        if page is not None:
            args["Limit"] = page
        yield from self.db.query(f"read the history of {logical}", **args)

    def _scan(self, extra_filter: str = "", values: dict[str, Any] | None = None) -> Iterator[Any]:
        expression = "begins_with(#hk, :p)" + (f" AND {extra_filter}" if extra_filter else "")
        yield from self.db.scan(
            f"scan the ledger in {self.table.name}",
            FilterExpression=expression,
            ExpressionAttributeNames=self.db.names_for(expression),
            ExpressionAttributeValues={":p": {"S": self.items.prefix}}
            | {k: to_av(v) for k, v in (values or {}).items()},
        )

    def summary(self) -> dict[str, dict[str, int]]:
        """Per logical name: iterations per state, total attempts, next iteration, live lease."""
        now = self.table.clock()
        result: dict[str, dict[str, int]] = {}
        for item in self._scan():
            logical = self.items.logical_of(item)
            which = self.items.range_of(item)
            if which != HEAD and not self.items.is_iteration_key(which):
                continue
            counts = result.setdefault(
                logical, {s: 0 for s in STATES} | {"attempts": 0, "next": 0, "running": 0}
            )
            if which == HEAD:
                head = self.items.parse_head(logical, item)
                counts["next"] = head.next
                counts["running"] = int(head.lease is not None and head.lease.expires > now)
            else:
                record = self.items.parse_record(logical, item)
                if record.state in counts:
                    counts[record.state] += 1
                counts["attempts"] += record.attempts
        return result

    def any_running(self) -> list[Lease]:
        """Live leases in the whole table (the guard before deleting it)."""
        leases = []
        for item in self._scan(
            "#rk = :head AND #expires > :now", {":head": HEAD, ":now": self.table.clock()}
        ):
            lease = self.items.parse_head(self.items.logical_of(item), item).lease
            if lease is not None:
                leases.append(lease)
        return leases
