"""The ledger's items: their keys, the attributes they hold, and reading them back, damage refused.

Every key starts with the ledger's hash-key prefix, so nothing here can name one of the
connector's own items. An item whose attributes are missing or of the wrong type is
`LedgerDamaged`, one line naming the item and the attribute: kiter does not guess what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiter.errors import ConfigError, LedgerDamaged
from kiter.metastore.dynamo import from_item
from kiter.metastore.records import Head, IterationRecord, Lease, Owner

HEAD = "~head"
# Sorts before every iteration number, so the Query for the head and top items never sees it.
BINDING = "!ledger"
STATES = ("CLAIMED", "RUNNING", "SUCCEEDED", "FAILED")
LOW, HIGH = f"{0:010d}", f"{9_999_999_999:010d}"
# Placeholder -> attribute name of everything the ledger writes; the table's own key names must
# not be one of them.
ATTRIBUTES = {
    "#next": "next_iteration",
    "#first": "first_iteration",
    "#version": "version",
    "#token": "lease_token",
    "#lease_iteration": "lease_iteration",
    "#lease_host": "lease_host",
    "#lease_pid": "lease_pid",
    "#lease_run": "lease_run_id",
    "#lease_since": "lease_since",
    "#expires": "lease_expires",
    "#state": "state",
    "#attempts": "attempts",
    "#owner": "owner",
    "#target": "target",
    "#submission": "submission_id",
    "#sha": "script_sha256",
    "#created": "created",
    "#claimed": "claimed",
    "#started": "started",
    "#first_started": "first_started",
    "#fenced": "fenced",
    "#finished": "finished",
    "#reason": "reason",
    "#shards": "shards",
    "#stats": "stats",
    "#staged": "staged",
    "#ledger_table": "ledger_table",
}
LEASE_PLACEHOLDERS = (
    "#token",
    "#lease_iteration",
    "#lease_host",
    "#lease_pid",
    "#lease_run",
    "#lease_since",
    "#expires",
)
REMOVE_LEASE = " REMOVE " + ", ".join(LEASE_PLACEHOLDERS)
# The position of the binding item in a claim's transaction (after head and iteration item).
BINDING_WRITE = 2


def attribute(placeholder: str) -> str:
    """The attribute name a placeholder of the ledger's expressions stands for."""
    return ATTRIBUTES[placeholder]


class _Damage(Exception):
    """An attribute of an item is missing or of the wrong type."""


def _text(values: Mapping[str, Any], placeholder: str, default: str | None = "") -> str:
    value = values.get(attribute(placeholder), default)
    if not isinstance(value, str):
        raise _Damage(f"{attribute(placeholder)} is {_kind(value)}, not a string")
    return value


def _whole(values: Mapping[str, Any], placeholder: str, default: int | None = None) -> int:
    value = values.get(attribute(placeholder), default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Damage(f"{attribute(placeholder)} is {_kind(value)}, not a whole number")
    return value


def _number(values: Mapping[str, Any], placeholder: str) -> float:
    value = values.get(attribute(placeholder))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Damage(f"{attribute(placeholder)} is {_kind(value)}, not a number")
    return float(value)


def _table(values: Mapping[str, Any], placeholder: str) -> dict[str, Any]:
    value = values.get(attribute(placeholder)) or {}
    if not isinstance(value, dict):
        raise _Damage(f"{attribute(placeholder)} is {_kind(value)}, not a map")
    return value


def _kind(value: Any) -> str:
    return "missing" if value is None else f"a {type(value).__name__} ({str(value)[:40]!r})"


class LedgerItems:
    """Keys and parsing for the ledger's items in one table."""

    def __init__(self, table: str, hash_key: str, range_key: str, prefix: str) -> None:
        clash = {hash_key, range_key} & set(ATTRIBUTES.values())
        if clash:
            raise ConfigError(
                f"checkpoint table key name {sorted(clash)[0]!r} is an attribute kiter's ledger "
                "writes: choose other key names"
            )
        if not prefix:
            raise ConfigError("the ledger's hash-key prefix must not be empty")
        self.table = table
        self.hash_key = hash_key
        self.range_key = range_key
        self.prefix = prefix

    # ---- keys ---------------------------------------------------------------------------------

    def check_logical(self, logical: str) -> None:
        if not logical or logical.strip() != logical:
            raise ConfigError(f"logical name {logical!r} must be non-empty, without outer spaces")
        if logical.startswith(self.prefix):
            raise ConfigError(
                f"logical name {logical!r} starts with kiter's reserved prefix {self.prefix!r}"
            )

    def hash_value(self, logical: str) -> dict[str, str]:
        """The hash key's AttributeValue for every item of `logical`."""
        return {"S": self.prefix + logical}

    def key(self, logical: str, range_value: str) -> dict[str, Any]:
        return {self.hash_key: self.hash_value(logical), self.range_key: {"S": range_value}}

    def item_key(self, logical: str, iteration: int) -> dict[str, Any]:
        return self.key(logical, f"{iteration:010d}")

    def logical_of(self, item: Mapping[str, Any]) -> str:
        return str(item[self.hash_key]["S"])[len(self.prefix) :]

    def range_of(self, item: Mapping[str, Any]) -> str:
        return str(item[self.range_key]["S"])

    @staticmethod
    def is_iteration_key(range_value: str) -> bool:
        return len(range_value) == 10 and range_value.isdigit()

    # ---- parsing ------------------------------------------------------------------------------

    def _damaged(self, logical: str, which: str, why: str) -> LedgerDamaged:
        return LedgerDamaged(
            f"ledger item {which} of {logical} in table {self.table} is damaged: {why}"
        )

    def parse_record(self, logical: str, item: Mapping[str, Any]) -> IterationRecord:
        """The iteration record an iteration item holds; LedgerDamaged when it is malformed."""
        which = self.range_of(item)
        try:
            values = from_item(item)
            owner = values.get(attribute("#owner"))
            if owner is not None and not isinstance(owner, dict):
                raise _Damage(f"owner is {_kind(owner)}, not a map")
            expires = values.get(attribute("#expires"))
            return IterationRecord(
                logical=logical,
                iteration=int(which),
                state=_text(values, "#state"),
                attempts=_whole(values, "#attempts", 0),
                owner=Owner(str(owner["host"]), int(owner["pid"]), str(owner["run_id"]))
                if owner
                else None,
                lease_expires=None if expires is None else _number(values, "#expires"),
                target=_text(values, "#target"),
                submission_id=_text(values, "#submission"),
                script_sha256=_text(values, "#sha"),
                created=_text(values, "#created"),
                claimed=_text(values, "#claimed"),
                started=_text(values, "#started"),
                first_started=_text(values, "#first_started"),
                finished=_text(values, "#finished"),
                reason=_text(values, "#reason"),
                shards=_table(values, "#shards"),
                stats=_table(values, "#stats"),
                staged=_table(values, "#staged"),
            )
        except (_Damage, KeyError, ValueError, TypeError) as exc:
            raise self._damaged(logical, f"{which!r} (iteration)", str(exc)) from None

    def parse_head(self, logical: str, item: Mapping[str, Any]) -> Head:
        """The head a head item holds; LedgerDamaged when it is malformed."""
        try:
            values = from_item(item)
            lease = None
            if values.get(attribute("#token")):
                lease = Lease(
                    logical=logical,
                    iteration=_whole(values, "#lease_iteration"),
                    owner=Owner(
                        _text(values, "#lease_host", None),
                        _whole(values, "#lease_pid"),
                        _text(values, "#lease_run", None),
                    ),
                    since=_text(values, "#lease_since", None),
                    expires=_number(values, "#expires"),
                    token=_text(values, "#token", None),
                )
            return Head(
                logical=logical,
                next=_whole(values, "#next"),
                version=_whole(values, "#version"),
                first=_whole(values, "#first", 0),
                lease=lease,
            )
        except (_Damage, KeyError, ValueError, TypeError) as exc:
            raise self._damaged(logical, f"{HEAD!r} (head)", str(exc)) from None
