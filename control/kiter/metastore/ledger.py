"""kiter's iteration ledger: which iteration of a logical name runs next, who holds it, how it went.

The ledger lives in the connector's checkpoint table under a reserved hash-key prefix
(`kiter#<logical name>`), or in a table of its own: one item per iteration (range key =
zero-padded number) and one *head* item per logical name (range key `~head`, which sorts after
every number) holding the next iteration to run and the current lease. Every change is a
conditional write or a TransactWriteItems on head + iteration item, so two claimers racing on one
logical name cannot both win, and a holder whose lease was taken over cannot overwrite its
successor. A *binding* item in the checkpoint table (range key `!ledger`) names the ledger table
that keeps the logical name, so two projects with different ledger tables cannot both run it.

This room never reads or writes the connector's own items (their layout is undocumented): every
key it builds starts with the prefix, every Query names a `kiter#` hash key, and the one Scan
(`summary`, `any_running`) filters on the prefix and ignores range keys that are not kiter's.
It knows nothing of targets, rendering or the stream; the runner sequences it with them.

Invariant: head.next = (last SUCCEEDED iteration in sequence) + 1, from head.first (0 unless the
logical name ran elsewhere before kiter took it over). A claim without an explicit number takes
head.next, which is therefore the FAILED iteration when there is one. A damaged ledger (a missing
item, a missing head, a malformed attribute) is mended only where the items say exactly how, and
refused otherwise: iteration N > first starts where iteration N-1 ended, or not at all.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from kiter.errors import ConfigError, IterationBusy, LeaseLost, LedgerDamaged, Refused, ServiceError
from kiter.metastore.dynamo import ConditionFailed, Dynamo, from_item, to_av
from kiter.metastore.iterations import (
    Claim,
    Head,
    IterationRecord,
    Lease,
    Owner,
    epoch,
    iso,
)

__all__ = [
    "Claim",
    "Head",
    "IterationRecord",
    "Lease",
    "Ledger",
    "Owner",
    "epoch",
    "iso",
]

HEAD = "~head"
# Sorts before every iteration number, so the Query for the head and top items never sees it.
BINDING = "!ledger"
STATES = ("CLAIMED", "RUNNING", "SUCCEEDED", "FAILED")
_LOW, _HIGH = f"{0:010d}", f"{9_999_999_999:010d}"
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
    "#finished": "finished",
    "#reason": "reason",
    "#shards": "shards",
    "#stats": "stats",
    "#staged": "staged",
    "#ledger_table": "ledger_table",
}
_LEASE_PLACEHOLDERS = (
    "#token",
    "#lease_iteration",
    "#lease_host",
    "#lease_pid",
    "#lease_run",
    "#lease_since",
    "#expires",
)
_REMOVE_LEASE = " REMOVE " + ", ".join(_LEASE_PLACEHOLDERS)
# The position of the binding item in a claim's transaction (after head and iteration item).
_BINDING_WRITE = 2


def _attr(placeholder: str) -> str:
    return ATTRIBUTES[placeholder]


class _Damage(Exception):
    """An attribute of an item is missing or of the wrong type."""


def _text(values: Mapping[str, Any], placeholder: str, default: str | None = "") -> str:
    value = values.get(_attr(placeholder), default)
    if not isinstance(value, str):
        raise _Damage(f"{_attr(placeholder)} is {_kind(value)}, not a string")
    return value


def _whole(values: Mapping[str, Any], placeholder: str, default: int | None = None) -> int:
    value = values.get(_attr(placeholder), default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Damage(f"{_attr(placeholder)} is {_kind(value)}, not a whole number")
    return value


def _number(values: Mapping[str, Any], placeholder: str) -> float:
    value = values.get(_attr(placeholder))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Damage(f"{_attr(placeholder)} is {_kind(value)}, not a number")
    return float(value)


def _table(values: Mapping[str, Any], placeholder: str) -> dict[str, Any]:
    value = values.get(_attr(placeholder)) or {}
    if not isinstance(value, dict):
        raise _Damage(f"{_attr(placeholder)} is {_kind(value)}, not a map")
    return value


def _kind(value: Any) -> str:
    return "missing" if value is None else f"a {type(value).__name__} ({str(value)[:40]!r})"


@dataclass(frozen=True)
class _ClaimPlan:
    """Everything one claim attempt read, and the iteration it is about to take."""

    logical: str
    iteration: int
    head: Head | None
    existing: IterationRecord | None  # the iteration as it stands (None: never claimed)
    previous: IterationRecord | None  # iteration - 1
    now: float
    target: str
    notes: tuple[str, ...]

    @property
    def next(self) -> int:
        return self.head.next if self.head else 0


class Ledger:
    """The iteration ledger of every logical name in one table."""

    def __init__(
        self,
        client: Any,
        table: str,
        hash_key: str,
        range_key: str,
        *,
        owner: Owner,
        lease_seconds: int = 300,
        clock: Callable[[], float] = time.time,
        prefix: str = "kiter#",
        sleep: Callable[[float], None] = time.sleep,
        max_races: int = 8,
        checkpoint_table: str | None = None,
    ) -> None:
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
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.prefix = prefix
        self.sleep = sleep
        self.max_races = max_races
        # Where the binding item lives: the checkpoint table the connector's items are in.
        self.checkpoint_table = checkpoint_table or table
        self.db = Dynamo(client, table, {"#hk": hash_key, "#rk": range_key} | ATTRIBUTES)

    # ---- keys ---------------------------------------------------------------------------------

    def _check_logical(self, logical: str) -> None:
        if not logical or logical.strip() != logical:
            raise ConfigError(f"logical name {logical!r} must be non-empty, without outer spaces")
        if logical.startswith(self.prefix):
            raise ConfigError(
                f"logical name {logical!r} starts with kiter's reserved prefix {self.prefix!r}"
            )

    def _key(self, logical: str, range_value: str) -> dict[str, Any]:
        return {self.hash_key: {"S": self.prefix + logical}, self.range_key: {"S": range_value}}

    def _item_key(self, logical: str, iteration: int) -> dict[str, Any]:
        return self._key(logical, f"{iteration:010d}")

    def _logical_of(self, item: Mapping[str, Any]) -> str:
        return str(item[self.hash_key]["S"])[len(self.prefix) :]

    def _range_of(self, item: Mapping[str, Any]) -> str:
        return str(item[self.range_key]["S"])

    @staticmethod
    def _is_iteration_key(range_value: str) -> bool:
        return len(range_value) == 10 and range_value.isdigit()

    # ---- parsing ------------------------------------------------------------------------------

    def _damaged(self, logical: str, which: str, why: str) -> LedgerDamaged:
        return LedgerDamaged(
            f"ledger item {which} of {logical} in table {self.table} is damaged: {why}"
        )

    def _record(self, logical: str, item: Mapping[str, Any]) -> IterationRecord:
        which = self._range_of(item)
        try:
            values = from_item(item)
            owner = values.get(_attr("#owner"))
            if owner is not None and not isinstance(owner, dict):
                raise _Damage(f"owner is {_kind(owner)}, not a map")
            expires = values.get(_attr("#expires"))
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

    def _head(self, logical: str, item: Mapping[str, Any]) -> Head:
        try:
            values = from_item(item)
            lease = None
            if values.get(_attr("#token")):
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

    # ---- reading ------------------------------------------------------------------------------

    def _top(self, logical: str) -> tuple[Head | None, dict[int, dict[str, Any]]]:
        """The head item and the two highest-numbered iteration items, in one Query."""
        out = self.db.call(
            "query",
            f"read the ledger of {logical}",
            TableName=self.table,
            KeyConditionExpression="#hk = :h",
            ExpressionAttributeNames={"#hk": self.hash_key},
            ExpressionAttributeValues={":h": {"S": self.prefix + logical}},
            ScanIndexForward=False,
            Limit=3,
            ConsistentRead=True,
        )
        head = None
        items: dict[int, dict[str, Any]] = {}
        for item in out.get("Items", []):
            which = self._range_of(item)
            if which == HEAD:
                head = self._head(logical, item)
            elif self._is_iteration_key(which):
                items[int(which)] = item
        return head, items

    def _get_many(self, logical: str, numbers: list[int]) -> dict[int, dict[str, Any]]:
        keys = [self._item_key(logical, n) for n in numbers if n >= 0]
        found = self.db.get_many(f"read the ledger of {logical}", keys)
        return {int(self._range_of(item)): item for item in found}

    def get(self, logical: str, n: int) -> IterationRecord | None:
        """Iteration `n` of `logical`, or None when it was never claimed."""
        self._check_logical(logical)
        item = self.db.get(f"read iteration {n} of {logical}", self._item_key(logical, n))
        return self._record(logical, item) if item else None

    def head(self, logical: str) -> Head | None:
        """The head of `logical` (next iteration, first iteration, lease), None before any claim."""
        self._check_logical(logical)
        item = self.db.get(f"read the ledger of {logical}", self._key(logical, HEAD))
        return self._head(logical, item) if item else None

    def lease(self, logical: str) -> Lease | None:
        """The lease the head item of `logical` records (live or expired), if any."""
        head = self.head(logical)
        return head.lease if head else None

    def history(
        self, logical: str, *, newest_first: bool = False, limit: int | None = None
    ) -> list[IterationRecord]:
        """Iterations of `logical`, oldest first (or the newest `limit`, newest first)."""
        self._check_logical(logical)
        records: list[IterationRecord] = []
        for item in self._iteration_items(logical, newest_first=newest_first, page=limit):
            records.append(self._record(logical, item))
            if limit is not None and len(records) >= limit:
                break
        return records

    def _iteration_items(
        self, logical: str, *, newest_first: bool = False, page: int | None = None
    ) -> Iterator[dict[str, Any]]:
        args: dict[str, Any] = {
            "KeyConditionExpression": "#hk = :h AND #rk BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#hk": self.hash_key, "#rk": self.range_key},
            "ExpressionAttributeValues": {
                ":h": {"S": self.prefix + logical},
                ":lo": {"S": _LOW},
                ":hi": {"S": _HIGH},
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
            f"scan the ledger in {self.table}",
            FilterExpression=expression,
            ExpressionAttributeNames=self.db.names_for(expression),
            ExpressionAttributeValues={":p": {"S": self.prefix}}
            | {k: to_av(v) for k, v in (values or {}).items()},
        )

    def summary(self) -> dict[str, dict[str, int]]:
        """Per logical name: iterations per state, total attempts, next iteration, live lease."""
        now = self.clock()
        result: dict[str, dict[str, int]] = {}
        for item in self._scan():
            logical = self._logical_of(item)
            which = self._range_of(item)
            if which != HEAD and not self._is_iteration_key(which):
                continue
            counts = result.setdefault(
                logical, {s: 0 for s in STATES} | {"attempts": 0, "next": 0, "running": 0}
            )
            if which == HEAD:
                head = self._head(logical, item)
                counts["next"] = head.next
                counts["running"] = int(head.lease is not None and head.lease.expires > now)
            else:
                record = self._record(logical, item)
                if record.state in counts:
                    counts[record.state] += 1
                counts["attempts"] += record.attempts
        return result

    def any_running(self) -> list[Lease]:
        """Live leases in the whole table (the guard before deleting it)."""
        leases = []
        for item in self._scan(
            "#rk = :head AND #expires > :now", {":head": HEAD, ":now": self.clock()}
        ):
            lease = self._head(self._logical_of(item), item).lease
            if lease is not None:
                leases.append(lease)
        return leases

    # ---- claiming -----------------------------------------------------------------------------

    def claim(
        self,
        logical: str,
        iteration: int | None = None,
        *,
        target: str = "",
    ) -> Claim:
        """Take the next iteration of `logical` (or iteration `iteration`) under a lease.

        Raises IterationBusy while another claim's lease is live, Refused for an iteration past
        the next one, LedgerDamaged when the items it must start from are missing or malformed,
        ConfigError for a negative one.
        """
        self._check_logical(logical)
        if iteration is not None and iteration < 0:
            raise ConfigError(f"iteration {iteration} of {logical}: iterations count from 0")
        for race in range(self.max_races):
            plan = self._plan_claim(logical, iteration, target)
            try:
                return self._write_claim(plan)
            except ConditionFailed as lost:
                if _BINDING_WRITE in lost.failed:
                    raise self._bound_elsewhere(logical) from None
                # Someone changed the head or the item since we read them: read again.
                self.sleep(random.uniform(0.005, 0.02) * (race + 1))
        lease = self.lease(logical)
        if lease is not None and lease.expires > self.clock():
            raise IterationBusy(lease.busy_message())
        raise ServiceError(
            f"could not claim an iteration of {logical}: the ledger changed under "
            f"{self.max_races} attempts in a row"
        )

    def _plan_claim(self, logical: str, iteration: int | None, target: str) -> _ClaimPlan:
        head, items = self._top(logical)
        notes: tuple[str, ...] = ()
        if head is None and items:
            head = self._rebuild_head(logical)
            notes = (
                f"the ledger head of {logical} was missing: rebuilt from its items "
                f"(next iteration {head.next})",
            )
        now = self.clock()
        if head is not None and head.lease is not None and head.lease.expires > now:
            raise IterationBusy(head.lease.busy_message())
        next_n = head.next if head else 0
        first = head.first if head else 0
        number = next_n if iteration is None else iteration
        if number > next_n:
            raise Refused(
                f"iteration {number} of {logical} cannot start: iteration {next_n} has not "
                f"SUCCEEDED yet (iterations run in order; the next one is {next_n})"
            )
        if number < first:
            raise Refused(
                f"iteration {number} of {logical} ran before kiter kept its ledger "
                f"(kiter's first iteration of it is {first})"
            )
        # The Query returned the two highest items, so next and next-1 are known when they
        # exist; only a re-run of an older iteration needs another read.
        missing = [n for n in (number, number - 1) if first <= n < next_n and n not in items]
        if missing:
            items |= self._get_many(logical, missing)
        if number < next_n and number not in items:
            raise LedgerDamaged(
                f"iteration {number} of {logical} is missing from the ledger although the next "
                f"iteration is {next_n}: it cannot be run again"
            )
        if number - 1 >= first and number - 1 not in items:
            raise LedgerDamaged(
                f"iteration {number - 1} of {logical} is missing from the ledger: iteration "
                f"{number} starts where it ended, so it cannot run (restore the item, or start "
                "a new logical name)"
            )
        return _ClaimPlan(
            logical=logical,
            iteration=number,
            head=head,
            existing=self._record(logical, items[number]) if number in items else None,
            previous=self._record(logical, items[number - 1]) if number - 1 in items else None,
            now=now,
            target=target,
            notes=notes,
        )

    def _rebuild_head(self, logical: str) -> Head:
        """A head from the iteration items (it was deleted), or LedgerDamaged when they have gaps.

        By the invariant, the highest item is the frontier: SUCCEEDED means next is the one
        after it, anything else means it is next. Written only if no head appeared meanwhile.
        """
        records = self.history(logical)
        numbers = [r.iteration for r in records]
        first, last = numbers[0], numbers[-1]
        gaps = sorted(set(range(first, last + 1)) - set(numbers))
        if gaps:
            raise LedgerDamaged(
                f"the ledger head of {logical} is missing and iteration {gaps[0]} is too: "
                "kiter cannot tell where the logical name stands"
            )
        now = self.clock()
        held = [r for r in records if r.lease_expires and r.lease_expires > now and r.owner]
        if held:
            owner = held[-1].owner
            assert owner is not None
            raise IterationBusy(
                f"iteration {held[-1].iteration} of {logical} is running on {owner.host} "
                f"(pid {owner.pid}); its ledger head is missing and is rebuilt after it ends"
            )
        next_n = last + 1 if records[-1].state == "SUCCEEDED" else last
        body = self.db.update(
            self._key(logical, HEAD),
            "SET #next = :next, #first = :first, #version = :one",
            "attribute_not_exists(#hk)",
            {":next": next_n, ":first": first, ":one": 1},
        )
        with contextlib.suppress(ConditionFailed):  # another claimer rebuilt it first
            self.db.update_item(f"rebuild the ledger head of {logical}", body)
        head = self.head(logical)
        assert head is not None
        return head

    def _write_claim(self, plan: _ClaimPlan) -> Claim:
        logical, number, head = plan.logical, plan.iteration, plan.head
        lease = head.lease if head else None
        token = uuid.uuid4().hex
        expires = plan.now + self.lease_seconds
        stamp = iso(plan.now)
        owner = self.owner
        head_values = {
            ":next": plan.next,
            ":token": token,
            ":number": number,
            ":host": owner.host,
            ":pid": owner.pid,
            ":run": owner.run_id,
            ":since": stamp,
            ":expires": expires,
        }
        take_lease = (
            "#next = :next, #token = :token, #lease_iteration = :number, #lease_host = :host, "
            "#lease_pid = :pid, #lease_run = :run, #lease_since = :since, #expires = :expires"
        )
        if head is None:
            head_write = self.db.update(
                self._key(logical, HEAD),
                f"SET {take_lease}, #version = :one",
                "attribute_not_exists(#hk)",
                head_values | {":one": 1},
            )
        else:
            head_write = self.db.update(
                self._key(logical, HEAD),
                f"SET {take_lease}, #version = :version_after",
                "#version = :version",
                head_values | {":version": head.version, ":version_after": head.version + 1},
            )
        existing = plan.existing
        attempt = (existing.attempts if existing else 0) + 1
        took_over = (
            f"took over the expired lease of {lease.owner.host} (pid {lease.owner.pid})"
            if lease is not None and lease.iteration == number and existing is not None
            else ""
        )
        item_write = self.db.update(
            self._item_key(logical, number),
            "SET #state = :claimed, #attempts = :attempt, #owner = :owner, #token = :token, "
            "#expires = :expires, #target = :target, #sha = :empty, "
            "#created = if_not_exists(#created, :now), #claimed = :now, #started = :empty, "
            "#finished = :empty, #submission = :empty, #reason = :note",
            "#attempts = :attempts_before" if existing else "attribute_not_exists(#hk)",
            {
                ":claimed": "CLAIMED",
                ":attempt": attempt,
                ":owner": owner.to_json(),
                ":token": token,
                ":expires": expires,
                ":target": plan.target,
                ":now": stamp,
                ":empty": "",
                ":note": took_over,
                ":attempts_before": existing.attempts if existing else 0,
            },
        )
        writes = [head_write, item_write, self._binding_write(logical)]
        if lease is not None and lease.iteration != number:
            # The expired holder was on another iteration (a re-run of an old one): close it.
            writes.append(
                self.db.update(
                    self._item_key(logical, lease.iteration),
                    "SET #state = :failed, #reason = :why, #finished = :now "
                    "REMOVE #token, #expires",
                    "attribute_exists(#hk) AND #token = :old",
                    {
                        ":failed": "FAILED",
                        ":why": f"lease of {lease.owner.host} (pid {lease.owner.pid}) expired",
                        ":now": stamp,
                        ":old": lease.token,
                    },
                )
            )
        self.db.transact(f"claim iteration {number} of {logical}", *writes)
        record = replace(
            existing or IterationRecord(logical=logical, iteration=number, state="", created=stamp),
            state="CLAIMED",
            attempts=attempt,
            owner=owner,
            lease_expires=expires,
            target=plan.target,
            script_sha256="",
            claimed=stamp,
            started="",
            finished="",
            submission_id="",
            reason=took_over,
        )
        return Claim(
            logical=logical,
            iteration=number,
            attempt=attempt,
            rerun=existing is not None,
            previous=plan.previous,
            record=record,
            owner=owner,
            token=token,
            lease_expires=expires,
            advances=number == plan.next,
            prior=existing,
            notes=plan.notes,
        )

    def _binding_write(self, logical: str) -> dict[str, Any]:
        """The checkpoint table's note of which ledger table keeps this logical name."""
        return self.db.update(
            self._key(logical, BINDING),
            "SET #ledger_table = :mine",
            "attribute_not_exists(#hk) OR #ledger_table = :mine",
            {":mine": self.table},
            table=self.checkpoint_table,
        )

    def _bound_elsewhere(self, logical: str) -> ConfigError:
        item = self.db.call(
            "get_item",
            f"read the ledger binding of {logical}",
            TableName=self.checkpoint_table,
            Key=self._key(logical, BINDING),
            ConsistentRead=True,
        ).get("Item", {})
        other = from_item(item).get(_attr("#ledger_table"), "another table")
        return ConfigError(
            f"logical name {logical} of checkpoint table {self.checkpoint_table} is kept by the "
            f"ledger in table {other}, not {self.table}: two ledgers would run its iterations "
            "twice; use the same [metastore] ledger_table, or another logical name"
        )

    # ---- holding ------------------------------------------------------------------------------

    def _lost(self, claim: Claim) -> LeaseLost:
        lease = self.lease(claim.logical)
        if lease is not None and lease.token != claim.token and lease.expires > self.clock():
            return LeaseLost(lease.busy_message())
        return LeaseLost(
            f"iteration {claim.iteration} of {claim.logical} is no longer held by this run: "
            "its lease was taken over or released"
        )

    def _item_update(self, claim: Claim, action: str, update: str, values: dict[str, Any]) -> None:
        body = self.db.update(
            self._item_key(claim.logical, claim.iteration),
            update,
            "#token = :token",
            values | {":token": claim.token},
        )
        try:
            self.db.update_item(action, body)
        except ConditionFailed:
            raise self._lost(claim) from None

    def heartbeat(self, claim: Claim) -> Claim:
        """Extend the lease by lease_seconds from now; LeaseLost when it was lost."""
        expires = self.clock() + self.lease_seconds
        values = {":token": claim.token, ":expires": expires, ":one": 1}
        try:
            self.db.transact(
                f"extend the lease on iteration {claim.iteration} of {claim.logical}",
                self.db.update(
                    self._key(claim.logical, HEAD),
                    "SET #expires = :expires, #version = #version + :one",
                    "#token = :token",
                    values,
                ),
                self.db.update(
                    self._item_key(claim.logical, claim.iteration),
                    "SET #expires = :expires",
                    "#token = :token",
                    values,
                ),
            )
        except ConditionFailed:
            raise self._lost(claim) from None
        return replace(
            claim, lease_expires=expires, record=replace(claim.record, lease_expires=expires)
        )

    def running(
        self, claim: Claim, submission_id: str, target: str, *, script_sha256: str = ""
    ) -> None:
        """The run was started (or is followed) as `submission_id`: state RUNNING."""
        now = iso(self.clock())
        self._item_update(
            claim,
            f"mark iteration {claim.iteration} of {claim.logical} RUNNING",
            "SET #state = :running, #submission = :submission, #target = :target, "
            "#sha = :sha, #started = :now, #first_started = if_not_exists(#first_started, :now)",
            {
                ":running": "RUNNING",
                ":submission": submission_id,
                ":target": target,
                ":sha": script_sha256,
                ":now": now,
            },
        )

    def record_boundaries(self, claim: Claim, shards: Mapping[str, Mapping[str, Any]]) -> None:
        """Store per-shard start/end sequence numbers (strings) and stats before submission.

        A rerun must re-read exactly what an earlier attempt recorded: changing a recorded
        shard's start or end is refused.
        """
        clean: dict[str, dict[str, Any]] = {}
        for shard, bounds in shards.items():
            entry = dict(bounds)
            for end in ("start", "end"):
                value = entry.get(end)
                if isinstance(value, int) and not isinstance(value, bool):
                    value = str(value)  # exact; floats would not be
                if value is not None and not isinstance(value, str):
                    raise TypeError(
                        f"shard {shard} {end}: sequence numbers are strings, got {value!r}"
                    )
                entry[end] = value
            old = claim.record.shards.get(shard)
            if (
                old
                and old.get("end") is not None
                and ((old.get("start"), old.get("end")) != (entry["start"], entry["end"]))
            ):
                raise Refused(
                    f"iteration {claim.iteration} of {claim.logical} recorded shard {shard} as "
                    f"[{old.get('start')}, {old.get('end')}]; a rerun must re-read exactly those "
                    f"records, not [{entry['start']}, {entry['end']}]"
                )
            clean[shard] = entry
        self._item_update(
            claim,
            f"record the shard boundaries of iteration {claim.iteration} of {claim.logical}",
            "SET #shards = :shards",
            {":shards": clean},
        )
        claim.record.shards = clean

    def record_staged(self, claim: Claim, name: str, facts: Mapping[str, Any]) -> None:
        """Note something staged with the iteration (a snapshot's sha256 and rows) for reruns."""
        staged = claim.record.staged | {name: dict(facts)}
        self._item_update(
            claim,
            f"record what was staged with iteration {claim.iteration} of {claim.logical}",
            "SET #staged = :staged",
            {":staged": staged},
        )
        claim.record.staged = staged

    def succeed(self, claim: Claim, stats: Mapping[str, Any]) -> None:
        """Iteration SUCCEEDED: store stats, release the lease, move next past it."""
        self._finish(claim, "SUCCEEDED", "", dict(stats))

    def fail(self, claim: Claim, reason: str) -> None:
        """Iteration FAILED: store why and release the lease; next stays on this iteration."""
        self._finish(claim, "FAILED", reason, None)

    def detach(self, claim: Claim, submission_id: str) -> None:
        """The script runs on without a watcher (--no-wait): RUNNING under its submission id,
        lease released. The next claim of the logical name takes this iteration again and can
        follow the submission (Claim.prior) to its end instead of submitting anew."""
        self._finish(
            claim,
            "RUNNING",
            "submitted without waiting (--no-wait): the next submit follows it",
            None,
            submission_id=submission_id,
        )

    def restore(self, claim: Claim) -> None:
        """Give the claim back as if it never happened: the iteration as it stood before it (no
        attempt spent; a never-claimed iteration's item removed), the lease released."""
        values: dict[str, Any] = {":token": claim.token, ":one": 1}
        head_write = self.db.update(
            self._key(claim.logical, HEAD),
            "SET #version = #version + :one" + _REMOVE_LEASE,
            "#token = :token",
            values,
        )
        key = self._item_key(claim.logical, claim.iteration)
        prior = claim.prior
        if prior is None:
            item_write: dict[str, Any] = {
                "Delete": {
                    "TableName": self.table,
                    "Key": key,
                    "ConditionExpression": "#token = :token",
                    "ExpressionAttributeNames": self.db.names_for("#token"),
                    "ExpressionAttributeValues": {":token": to_av(claim.token)},
                }
            }
        else:
            owner = "#owner = :owner, " if prior.owner else ""
            item_write = self.db.update(
                key,
                f"SET {owner}#state = :state, #attempts = :attempts, #target = :target, "
                "#submission = :submission, #sha = :sha, #claimed = :claimed, "
                "#started = :started, #finished = :finished, #reason = :reason "
                f"REMOVE #token, #expires{'' if prior.owner else ', #owner'}",
                "#token = :token",
                values
                | {
                    ":owner": prior.owner.to_json() if prior.owner else None,
                    ":state": prior.state,
                    ":attempts": prior.attempts,
                    ":target": prior.target,
                    ":submission": prior.submission_id,
                    ":sha": prior.script_sha256,
                    ":claimed": prior.claimed,
                    ":started": prior.started,
                    ":finished": prior.finished,
                    ":reason": prior.reason,
                },
            )
        try:
            self.db.transact(
                f"give back iteration {claim.iteration} of {claim.logical}",
                item_write,
                head_write,
            )
        except ConditionFailed:
            raise self._lost(claim) from None

    def _finish(
        self,
        claim: Claim,
        state: str,
        reason: str,
        stats: dict[str, Any] | None,
        *,
        submission_id: str = "",
    ) -> None:
        now = iso(self.clock())
        item_set = "SET #state = :state, #reason = :reason"
        if state != "RUNNING":
            item_set += ", #finished = :now"
        if stats is not None:
            item_set += ", #stats = :stats"
        if submission_id:
            item_set += ", #submission = :submission"
        head_set = "SET #version = #version + :one"
        if state == "SUCCEEDED" and claim.advances:
            head_set += ", #next = :after"
        values = {
            ":token": claim.token,
            ":state": state,
            ":now": now,
            ":reason": reason,
            ":stats": stats,
            ":one": 1,
            ":after": claim.iteration + 1,
            ":submission": submission_id,
        }
        try:
            self.db.transact(
                f"mark iteration {claim.iteration} of {claim.logical} {state}",
                self.db.update(
                    self._item_key(claim.logical, claim.iteration),
                    item_set + " REMOVE #token, #expires",
                    "#token = :token",
                    values,
                ),
                self.db.update(
                    self._key(claim.logical, HEAD),
                    head_set + _REMOVE_LEASE,
                    "#token = :token",
                    values,
                ),
            )
        except ConditionFailed:
            raise self._lost(claim) from None
