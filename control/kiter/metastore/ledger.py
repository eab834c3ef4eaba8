"""kiter's iteration ledger: which iteration of a logical name runs next, who holds it, how it went.

The ledger lives in the connector's checkpoint table under a reserved hash-key prefix
(`kiter#<logical name>`): one item per iteration (range key = zero-padded number) and one *head*
item per logical name (range key `~head`, which sorts after every number) holding the next
iteration to run and the current lease. Every change is a conditional write or a
TransactWriteItems on head + iteration item, so two claimers racing on one logical name cannot
both win, and a holder whose lease was taken over cannot overwrite its successor.

This room never reads or writes the connector's own items (their layout is undocumented): every
key it builds starts with the prefix, every Query names a `kiter#` hash key, and the one Scan
(`summary`, `any_running`) filters on the prefix and ignores range keys that are not kiter's.
It knows nothing of targets, rendering or the stream; the runner sequences it with them.

Invariant: head.next = (last SUCCEEDED iteration in sequence) + 1, from 0. A claim without an
explicit number takes head.next, which is therefore the FAILED iteration when there is one.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from kiter.aws import error_code, service_error
from kiter.errors import ConfigError, IterationBusy, Refused, ServiceError
from kiter.metastore.records import (
    Claim,
    IterationRecord,
    Lease,
    Owner,
    epoch,
    iso,
    retention_check,
)

__all__ = [
    "Claim",
    "IterationRecord",
    "Lease",
    "Ledger",
    "Owner",
    "epoch",
    "iso",
    "retention_check",
]

HEAD = "~head"
STATES = ("CLAIMED", "RUNNING", "SUCCEEDED", "FAILED")
_LOW, _HIGH = f"{0:010d}", f"{9_999_999_999:010d}"
# Attribute names the ledger writes; the table's own key names must not be one of them.
_ATTRS = {
    "next": "next_iteration",
    "version": "version",
    "token": "lease_token",
    "l_iter": "lease_iteration",
    "l_host": "lease_host",
    "l_pid": "lease_pid",
    "l_run": "lease_run_id",
    "l_since": "lease_since",
    "expires": "lease_expires",
    "state": "state",
    "attempts": "attempts",
    "owner": "owner",
    "target": "target",
    "submission": "submission_id",
    "sha": "script_sha256",
    "created": "created",
    "claimed": "claimed",
    "started": "started",
    "first_started": "first_started",
    "finished": "finished",
    "reason": "reason",
    "shards": "shards",
    "stats": "stats",
}
_TOKEN = re.compile(r"[:#][A-Za-z0-9_]+")
_LEASE_ATTRS = ("token", "l_iter", "l_host", "l_pid", "l_run", "l_since", "expires")


def _to_av(value: Any) -> dict[str, Any]:
    # A small serializer instead of boto3's TypeSerializer, which refuses floats.
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
        return {"M": {str(k): _to_av(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [_to_av(v) for v in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in the ledger")


def _from_av(av: Mapping[str, Any]) -> Any:
    ((kind, value),) = av.items()
    if kind == "N":
        return int(value) if value.lstrip("-").isdigit() else float(value)
    if kind == "M":
        return {k: _from_av(v) for k, v in value.items()}
    if kind == "L":
        return [_from_av(v) for v in value]
    if kind == "NULL":
        return None
    return value  # S, BOOL (binary and sets are never written by the ledger)


class _ConditionFailed(Exception):
    """A conditional write lost: someone else changed the ledger first."""


class Ledger:
    """The iteration ledger of every logical name in one checkpoint table."""

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
    ) -> None:
        clash = {hash_key, range_key} & set(_ATTRS.values())
        if clash:
            raise ConfigError(
                f"checkpoint table key name {sorted(clash)[0]!r} is an attribute kiter's ledger "
                "writes: choose other key names"
            )
        if not prefix:
            raise ConfigError("the ledger's hash-key prefix must not be empty")
        self.client = client
        self.table = table
        self.hash_key = hash_key
        self.range_key = range_key
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.prefix = prefix
        self.sleep = sleep
        self.max_races = max_races
        self._names = {"#hk": hash_key, "#rk": range_key} | {f"#{k}": v for k, v in _ATTRS.items()}

    # ---- keys and calls -------------------------------------------------------------------

    def _check_logical(self, logical: str) -> None:
        if not logical or logical.strip() != logical:
            raise ConfigError(f"logical name {logical!r} must be non-empty, without outer spaces")
        if logical.startswith(self.prefix):
            raise ConfigError(
                f"logical name {logical!r} starts with kiter's reserved prefix {self.prefix!r}"
            )

    def _key(self, logical: str, rk: str) -> dict[str, Any]:
        return {self.hash_key: {"S": self.prefix + logical}, self.range_key: {"S": rk}}

    def _names_for(self, *expressions: str) -> dict[str, str]:
        # DynamoDB rejects names that no expression uses, so pass only those that appear.
        used = set(_TOKEN.findall(" ".join(expressions)))
        return {k: v for k, v in self._names.items() if k in used}

    def _call(self, verb: str, action: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, verb)(**kwargs)
        except ClientError as exc:
            if error_code(exc) in ("ConditionalCheckFailedException",):
                raise _ConditionFailed(action) from exc
            if error_code(exc) == "TransactionCanceledException":
                reasons = [r.get("Code", "") for r in exc.response.get("CancellationReasons", [])]
                if {"ConditionalCheckFailed", "TransactionConflict"} & set(reasons) or not reasons:
                    raise _ConditionFailed(action) from exc
            if error_code(exc) == "ResourceNotFoundException":
                raise ServiceError(
                    f"{action}: table {self.table} does not exist (run `kiter metastore create`)"
                ) from exc
            raise service_error(exc, action) from exc
        except BotoCoreError as exc:
            raise service_error(exc, action) from exc

    def _update(
        self,
        logical: str,
        rk: str,
        update: str,
        condition: str,
        values: dict[str, Any],
    ) -> dict[str, Any]:
        """One Update request body (for update_item or a TransactWriteItems entry)."""
        body: dict[str, Any] = {
            "TableName": self.table,
            "Key": self._key(logical, rk),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": self._names_for(update, condition),
        }
        tokens = set(_TOKEN.findall(f"{update} {condition}"))
        used = {k: _to_av(v) for k, v in values.items() if k in tokens}
        if used:
            body["ExpressionAttributeValues"] = used
        return body

    def _transact(self, action: str, *updates: dict[str, Any]) -> None:
        self._call(
            "transact_write_items",
            action,
            TransactItems=[{"Update": u} for u in updates],
        )

    # ---- parsing --------------------------------------------------------------------------

    def _parse_record(self, logical: str, item: Mapping[str, Any]) -> IterationRecord:
        d = {k: _from_av(v) for k, v in item.items()}
        a = _ATTRS
        owner = d.get(a["owner"])
        return IterationRecord(
            logical=logical,
            iteration=int(d[self.range_key]),
            state=str(d.get(a["state"], "")),
            attempts=int(d.get(a["attempts"], 0)),
            owner=Owner(str(owner["host"]), int(owner["pid"]), str(owner["run_id"]))
            if isinstance(owner, dict)
            else None,
            lease_expires=d.get(a["expires"]),
            target=str(d.get(a["target"], "")),
            submission_id=str(d.get(a["submission"], "")),
            script_sha256=str(d.get(a["sha"], "")),
            created=str(d.get(a["created"], "")),
            claimed=str(d.get(a["claimed"], "")),
            started=str(d.get(a["started"], "")),
            first_started=str(d.get(a["first_started"], "")),
            finished=str(d.get(a["finished"], "")),
            reason=str(d.get(a["reason"], "")),
            shards=d.get(a["shards"]) or {},
            stats=d.get(a["stats"]) or {},
        )

    def _parse_lease(self, logical: str, head: Mapping[str, Any]) -> Lease | None:
        d = {k: _from_av(v) for k, v in head.items()}
        a = _ATTRS
        if not d.get(a["token"]):
            return None
        return Lease(
            logical=logical,
            iteration=int(d[a["l_iter"]]),
            owner=Owner(str(d[a["l_host"]]), int(d[a["l_pid"]]), str(d[a["l_run"]])),
            since=str(d[a["l_since"]]),
            expires=float(d[a["expires"]]),
            token=str(d[a["token"]]),
        )

    def _logical_of(self, item: Mapping[str, Any]) -> str:
        return str(item[self.hash_key]["S"])[len(self.prefix) :]

    @staticmethod
    def _is_iteration_key(rk: str) -> bool:
        return len(rk) == 10 and rk.isdigit()

    # ---- reading --------------------------------------------------------------------------

    def _top(self, logical: str) -> tuple[dict[str, Any] | None, dict[int, dict[str, Any]]]:
        """The head item and the two highest-numbered iteration items, in one Query."""
        out = self._call(
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
            rk = item[self.range_key]["S"]
            if rk == HEAD:
                head = item
            elif self._is_iteration_key(rk):
                items[int(rk)] = item
        return head, items

    def _get_many(self, logical: str, numbers: list[int]) -> dict[int, dict[str, Any]]:
        keys = [self._key(logical, f"{n:010d}") for n in numbers if n >= 0]
        found: dict[int, dict[str, Any]] = {}
        request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        while keys and request:
            out = self._call(
                "batch_get_item", f"read the ledger of {logical}", RequestItems=request
            )
            for item in out.get("Responses", {}).get(self.table, []):
                found[int(item[self.range_key]["S"])] = item
            request = out.get("UnprocessedKeys") or {}
        return found

    def get(self, logical: str, n: int) -> IterationRecord | None:
        """Iteration `n` of `logical`, or None when it was never claimed."""
        self._check_logical(logical)
        out = self._call(
            "get_item",
            f"read iteration {n} of {logical}",
            TableName=self.table,
            Key=self._key(logical, f"{n:010d}"),
            ConsistentRead=True,
        )
        item = out.get("Item")
        return self._parse_record(logical, item) if item else None

    def lease(self, logical: str) -> Lease | None:
        """The lease the head item of `logical` records (live or expired), if any."""
        self._check_logical(logical)
        out = self._call(
            "get_item",
            f"read the ledger of {logical}",
            TableName=self.table,
            Key=self._key(logical, HEAD),
            ConsistentRead=True,
        )
        item = out.get("Item")
        return self._parse_lease(logical, item) if item else None

    def next_iteration(self, logical: str) -> int:
        """The iteration a claim without a number would take."""
        self._check_logical(logical)
        head, _ = self._top(logical)
        return int(_from_av(head[_ATTRS["next"]])) if head else 0

    def history(self, logical: str) -> list[IterationRecord]:
        """Every iteration of `logical`, oldest first (the head item is not an iteration)."""
        self._check_logical(logical)
        records: list[IterationRecord] = []
        args: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#hk = :h AND #rk BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#hk": self.hash_key, "#rk": self.range_key},
            "ExpressionAttributeValues": {
                ":h": {"S": self.prefix + logical},
                ":lo": {"S": _LOW},
                ":hi": {"S": _HIGH},
            },
            "ConsistentRead": True,
        }
        while True:
            out = self._call("query", f"read the history of {logical}", **args)
            records += [self._parse_record(logical, item) for item in out.get("Items", [])]
            if not out.get("LastEvaluatedKey"):
                return records
            args["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def _scan(self, extra_filter: str = "", values: dict[str, Any] | None = None) -> Iterator[Any]:
        expression = "begins_with(#hk, :p)" + (f" AND {extra_filter}" if extra_filter else "")
        args: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": expression,
            "ExpressionAttributeNames": self._names_for(expression),
            "ExpressionAttributeValues": {":p": {"S": self.prefix}}
            | {k: _to_av(v) for k, v in (values or {}).items()},
        }
        while True:
            out = self._call("scan", f"scan the ledger in {self.table}", **args)
            yield from out.get("Items", [])
            if not out.get("LastEvaluatedKey"):
                return
            args["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def summary(self) -> dict[str, dict[str, int]]:
        """Per logical name: iterations per state, total attempts, next iteration, live lease."""
        now = self.clock()
        result: dict[str, dict[str, int]] = {}
        for item in self._scan():
            logical = self._logical_of(item)
            rk = item[self.range_key]["S"]
            counts = result.setdefault(
                logical, {s: 0 for s in STATES} | {"attempts": 0, "next": 0, "running": 0}
            )
            if rk == HEAD:
                counts["next"] = int(_from_av(item[_ATTRS["next"]]))
                lease = self._parse_lease(logical, item)
                counts["running"] = int(lease is not None and lease.expires > now)
            elif self._is_iteration_key(rk):
                record = self._parse_record(logical, item)
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
            lease = self._parse_lease(self._logical_of(item), item)
            if lease is not None:
                leases.append(lease)
        return leases

    # ---- claiming -------------------------------------------------------------------------

    def claim(
        self,
        logical: str,
        iteration: int | None = None,
        *,
        target: str = "",
        script_sha256: str = "",
    ) -> Claim:
        """Take the next iteration of `logical` (or iteration `iteration`) under a lease.

        Raises IterationBusy while another claim's lease is live, Refused for an iteration past
        the next one, ConfigError for a negative one.
        """
        self._check_logical(logical)
        if iteration is not None and iteration < 0:
            raise ConfigError(f"iteration {iteration} of {logical}: iterations count from 0")
        for race in range(self.max_races):
            head, items = self._top(logical)
            now = self.clock()
            lease = self._parse_lease(logical, head) if head else None
            if lease is not None and lease.expires > now:
                raise IterationBusy(lease.busy_message())
            next_n = int(_from_av(head[_ATTRS["next"]])) if head else 0
            k = next_n if iteration is None else iteration
            if k > next_n:
                raise Refused(
                    f"iteration {k} of {logical} cannot start: iteration {next_n} has not "
                    f"SUCCEEDED yet (iterations run in order; the next one is {next_n})"
                )
            # The Query returned the two highest items, so next and next-1 are known when they
            # exist; only a re-run of an older iteration needs another read.
            missing = [n for n in (k, k - 1) if 0 <= n < next_n and n not in items]
            if missing:
                items |= self._get_many(logical, missing)
            existing = self._parse_record(logical, items[k]) if k in items else None
            previous = self._parse_record(logical, items[k - 1]) if k - 1 in items else None
            try:
                claim = self._write_claim(
                    logical, k, head, lease, existing, previous, now, next_n, target, script_sha256
                )
            except _ConditionFailed:
                # Someone changed the head or the item since we read them: read again.
                self.sleep(random.uniform(0.005, 0.02) * (race + 1))
                continue
            return claim
        lease = self.lease(logical)
        if lease is not None and lease.expires > self.clock():
            raise IterationBusy(lease.busy_message())
        raise ServiceError(
            f"could not claim an iteration of {logical}: the ledger changed under "
            f"{self.max_races} attempts in a row"
        )

    def _write_claim(
        self,
        logical: str,
        k: int,
        head: dict[str, Any] | None,
        lease: Lease | None,
        existing: IterationRecord | None,
        previous: IterationRecord | None,
        now: float,
        next_n: int,
        target: str,
        script_sha256: str,
    ) -> Claim:
        token = uuid.uuid4().hex
        expires = now + self.lease_seconds
        stamp = iso(now)
        o = self.owner
        head_values = {
            ":next": next_n,
            ":tok": token,
            ":k": k,
            ":host": o.host,
            ":pid": o.pid,
            ":run": o.run_id,
            ":since": stamp,
            ":exp": expires,
        }
        sets = "#next = :next, #token = :tok, #l_iter = :k, #l_host = :host, #l_pid = :pid, "
        sets += "#l_run = :run, #l_since = :since, #expires = :exp"
        if head is None:
            head_update = self._update(
                logical,
                HEAD,
                f"SET {sets}, #version = :one",
                "attribute_not_exists(#hk)",
                head_values | {":one": 1},
            )
        else:
            version = int(_from_av(head[_ATTRS["version"]]))
            head_update = self._update(
                logical,
                HEAD,
                f"SET {sets}, #version = :v1",
                "#version = :v",
                head_values | {":v": version, ":v1": version + 1},
            )
        attempt = (existing.attempts if existing else 0) + 1
        takeover = lease is not None and lease.iteration == k and existing is not None
        taken_note = (
            f"took over the expired lease of {lease.owner.host} (pid {lease.owner.pid})"
            if lease is not None and takeover
            else ""
        )
        item_values = {
            ":claimed": "CLAIMED",
            ":att": attempt,
            ":owner": o.to_json(),
            ":tok": token,
            ":exp": expires,
            ":target": target,
            ":sha": script_sha256,
            ":now": stamp,
            ":empty": "",
            ":note": taken_note,
            ":prev": existing.attempts if existing else 0,
        }
        item_update = self._update(
            logical,
            f"{k:010d}",
            "SET #state = :claimed, #attempts = :att, #owner = :owner, #token = :tok, "
            "#expires = :exp, #target = :target, #sha = :sha, #created = if_not_exists(#created, "
            ":now), #claimed = :now, #started = :empty, #finished = :empty, #submission = :empty, "
            "#reason = :note",
            "#attempts = :prev" if existing else "attribute_not_exists(#hk)",
            item_values,
        )
        updates = [head_update, item_update]
        if lease is not None and lease.iteration != k:
            # The expired holder was on another iteration (a re-run of an old one): close it.
            updates.append(
                self._update(
                    logical,
                    f"{lease.iteration:010d}",
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
        self._transact(f"claim iteration {k} of {logical}", *updates)
        record = replace(
            existing or IterationRecord(logical=logical, iteration=k, state="", created=stamp),
            state="CLAIMED",
            attempts=attempt,
            owner=o,
            lease_expires=expires,
            target=target,
            script_sha256=script_sha256,
            claimed=stamp,
            started="",
            finished="",
            submission_id="",
            reason=taken_note,
        )
        return Claim(
            logical=logical,
            iteration=k,
            attempt=attempt,
            rerun=existing is not None,
            previous=previous,
            record=record,
            owner=o,
            token=token,
            lease_expires=expires,
            advances=k == next_n,
            prior=existing,
        )

    def _lost(self, claim: Claim) -> IterationBusy:
        lease = self.lease(claim.logical)
        if lease is not None and lease.token != claim.token and lease.expires > self.clock():
            return IterationBusy(lease.busy_message())
        return IterationBusy(
            f"iteration {claim.iteration} of {claim.logical} is no longer held by this run: "
            "its lease was taken over or released"
        )

    def _item_update(self, claim: Claim, action: str, update: str, values: dict[str, Any]) -> None:
        body = self._update(
            claim.logical,
            f"{claim.iteration:010d}",
            update,
            "#token = :tok",
            values | {":tok": claim.token},
        )
        try:
            self._call("update_item", action, **body)
        except _ConditionFailed:
            raise self._lost(claim) from None

    # ---- holding --------------------------------------------------------------------------

    def heartbeat(self, claim: Claim) -> Claim:
        """Extend the lease by lease_seconds from now; IterationBusy when it was lost."""
        expires = self.clock() + self.lease_seconds
        values = {":tok": claim.token, ":exp": expires, ":one": 1}
        try:
            self._transact(
                f"extend the lease on iteration {claim.iteration} of {claim.logical}",
                self._update(
                    claim.logical,
                    HEAD,
                    "SET #expires = :exp, #version = #version + :one",
                    "#token = :tok",
                    values,
                ),
                self._update(
                    claim.logical,
                    f"{claim.iteration:010d}",
                    "SET #expires = :exp",
                    "#token = :tok",
                    values,
                ),
            )
        except _ConditionFailed:
            raise self._lost(claim) from None
        return replace(
            claim, lease_expires=expires, record=replace(claim.record, lease_expires=expires)
        )

    def running(self, claim: Claim, submission_id: str, target: str) -> None:
        """The script was submitted: state RUNNING, with where and as what."""
        now = iso(self.clock())
        self._item_update(
            claim,
            f"mark iteration {claim.iteration} of {claim.logical} RUNNING",
            "SET #state = :running, #submission = :sub, #target = :target, #started = :now, "
            "#first_started = if_not_exists(#first_started, :now)",
            {":running": "RUNNING", ":sub": submission_id, ":target": target, ":now": now},
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

    def release(self, claim: Claim) -> None:
        """A clean stop without an outcome (Ctrl-C, SIGTERM): FAILED 'interrupted'."""
        self._finish(claim, "FAILED", "interrupted", None)

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
            item_set += ", #submission = :sub"
        head_set = "SET #version = #version + :one"
        if state == "SUCCEEDED" and claim.advances:
            head_set += ", #next = :k1"
        remove_lease = " REMOVE " + ", ".join(f"#{a}" for a in _LEASE_ATTRS)
        values = {
            ":tok": claim.token,
            ":state": state,
            ":now": now,
            ":reason": reason,
            ":stats": stats,
            ":one": 1,
            ":k1": claim.iteration + 1,
            ":sub": submission_id,
        }
        try:
            self._transact(
                f"mark iteration {claim.iteration} of {claim.logical} {state}",
                self._update(
                    claim.logical,
                    f"{claim.iteration:010d}",
                    item_set + " REMOVE #token, #expires",
                    "#token = :tok",
                    values,
                ),
                self._update(claim.logical, HEAD, head_set + remove_lease, "#token = :tok", values),
            )
        except _ConditionFailed:
            raise self._lost(claim) from None
